import { connect } from 'node:net';
import { startTestApi, type TestApi } from './support/api-server';

const SECRET = 'notify-secret-first';

/** Sends a POST whose headers promise `contentLength` bytes but sends only a few; resolves with the status line, or 'no answer' after `waitMs`. */
function postWithBodyPending(url: string, headers: Record<string, string>, contentLength: number, waitMs: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer');
    }, waitMs);
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    const head = Object.entries({ host: `${hostname}:${port}`, 'content-type': 'application/json', 'content-length': String(contentLength), ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`POST /registry/notifications HTTP/1.1\r\n${head}\r\n{"events":[`);
  });
}

/**
 * `/registry/notifications` is public (the registry brings its shared secret, not an API user), so
 * the secret is checked before the body is read: a caller without it gets 401 at once and cannot
 * make the server buffer up to MAX_REQUEST_BODY_BYTES (or learn about the limit from a 413).
 */
describe('registry notification receiver: the shared secret before the body', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ registryNotifySecret: SECRET, maxRequestBodyBytes: 1024 * 1024, registryNotificationMaxBodyBytes: 3 * 1024 * 1024 });
  }, 60000);
  afterAll(async () => api?.close());

  it('a wrong or missing secret is 401 before the body arrives; the right one waits for it', async () => {
    expect(await postWithBodyPending(api.url, { authorization: 'Bearer wrong' }, 500_000, 2000)).toBe('HTTP/1.1 401 Unauthorized');
    expect(await postWithBodyPending(api.url, {}, 500_000, 2000)).toBe('HTTP/1.1 401 Unauthorized');
    expect(await postWithBodyPending(api.url, { authorization: `Bearer ${SECRET}` }, 500_000, 1000)).toBe('no answer');
  });

  it('a body over the receiver limit is 401 without the secret, 413 with it', async () => {
    const body = 'x'.repeat(4 * 1024 * 1024);
    const post = (authorization: string) =>
      fetch(`${api.url}/registry/notifications`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
    const wrong = await post('Bearer wrong');
    expect([wrong.status, ((await wrong.json()) as { reason: string }).reason]).toEqual([401, 'Unauthorized']);
    const right = await post(`Bearer ${SECRET}`);
    const status = (await right.json()) as { reason: string; message: string };
    expect([right.status, status.reason, status.message]).toEqual([413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728']);
  });

  it('a body over MAX_REQUEST_BODY_BYTES but within REGISTRY_NOTIFICATION_MAX_BODY_BYTES is read (a registry resends a refused envelope forever)', async () => {
    const events = [{ id: 'padding', action: 'pull', target: { repository: 'a/b', digest: `sha256:${'0'.repeat(64)}`, references: [] }, padding: 'x'.repeat(2 * 1024 * 1024) }];
    const res = await fetch(`${api.url}/registry/notifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
      body: JSON.stringify({ events }),
    });
    expect(res.status).toBe(202);
  });

  it('with the secret, a malformed envelope is still 400 and a wrong body type 415', async () => {
    const post = (body: string, contentType: string) =>
      fetch(`${api.url}/registry/notifications`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}`, 'content-type': contentType }, body });
    expect((await post('{"events":', 'application/json')).status).toBe(400);
    expect((await post('{"events":[]}', 'text/plain')).status).toBe(415);
    expect((await post('{"events":[]}', 'application/json')).status).toBe(202);
  });
});
