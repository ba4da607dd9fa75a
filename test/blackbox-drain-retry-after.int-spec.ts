import { connect, type Socket } from 'node:net';
import { ownApiProcess } from './support/own-api-process';
import { pollUntil } from './support/poll';

/** A client's connection: everything it received, and whether the server has closed it. */
interface HeldConnection {
  socket: Socket;
  received(): string;
  ended: Promise<void>;
}

async function openConnection(url: string): Promise<HeldConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => received, ended };
}

/** true once the server refuses new connections: its listener is closed, the drain has begun. */
function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const probe = connect(Number(port), hostname);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', () => resolve(true));
  });
}

/** One answer's status line, lower-cased headers and body (Content-Length delimited). */
function parseAnswer(raw: string): { status: string; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [status = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status, headers, body };
}

/**
 * A request that arrives on a kept-alive connection while the api drains after SIGTERM (a client
 * that reuses its connection during a rolling restart) is answered as kube-apiserver's
 * WithRetryAfter filter answers it: 429 TooManyRequests with `Retry-After: 5` and
 * `Connection: close`, so client-go and kubectl wait, reconnect (to another replica) and retry. It
 * was Fastify's own `{"error":"Service Unavailable",...}` 503 without Retry-After, which client-go
 * reads as a plain server error and does not retry. Health endpoints are exempt, as upstream:
 * /livez is still served; /readyz fails its `shutdown` check.
 *
 * Each connection sends its request's head up to the last line before SIGTERM: a connection in
 * the middle of a request is not idle, so the drain neither closes it nor ends until it is answered.
 */
describe('api drain: a request arriving on a kept-alive connection', () => {
  const own = ownApiProcess('dr');

  it('gets a 429 Status with Retry-After and Connection: close; health endpoints are still served', async () => {
    const api = await own.start({ SHUTDOWN_GRACE_SECONDS: '20' });
    const url = api.url;
    const list = await openConnection(url);
    // Kept alive: one request answered on it first.
    list.socket.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n');
    await pollUntil(async () => list.received(), (r) => r.includes('\r\n\r\n') && r.endsWith('}'));
    expect(list.received()).toMatch(/^HTTP\/1\.1 200 /);
    const answered = list.received().length;
    list.socket.write('GET /apis/image.openshift.io/v1/namespaces/dr/imagestreams HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n');
    const livez = await openConnection(url);
    livez.socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n');
    const readyz = await openConnection(url);
    readyz.socket.write('GET /readyz?verbose HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 200));

    const exited = api.stop('SIGTERM');
    await pollUntil(() => refusesConnections(url), (refused) => refused);
    for (const c of [list, livez, readyz]) c.socket.write('\r\n');
    await Promise.all([list.ended, livez.ended, readyz.ended]);
    const code = await exited;
    own.forget();

    const retry = parseAnswer(list.received().slice(answered));
    expect(retry.status).toBe('HTTP/1.1 429 Too Many Requests');
    expect(retry.headers).toMatchObject({ 'retry-after': '5', connection: 'close', 'content-type': 'application/json' });
    expect(JSON.parse(retry.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'The apiserver is shutting down, please try again later.',
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 5 },
      code: 429,
    });

    const live = parseAnswer(livez.received());
    expect(live.status).toBe('HTTP/1.1 200 OK');
    expect(live.headers['connection']).toBe('close');
    expect(live.body).toBe('ok');
    const ready = parseAnswer(readyz.received());
    expect(ready.status).toBe('HTTP/1.1 500 Internal Server Error');
    expect(ready.headers['connection']).toBe('close');
    expect(ready.body).toContain('[-]shutdown failed: reason withheld\n');
    expect(ready.body).toMatch(/readyz check failed\n$/);

    expect(code).toBe(0);
  }, 60000);
});
