import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EnvHttpProxyAgent, request } from 'undici';
import { loadTriggerConfig } from '@app/config';
import type { Database } from '@app/persistence';
import type { DeliveryRow } from './delivery-claim';
import { DeliveryService } from './delivery.service';

/** What `post` reports for one attempt (its private result type, as far as these tests read it). */
interface Sent {
  statusCode: number | null;
  error: string | null;
  permanent: string | null;
  latency: number;
  retryAfterMs: number | null;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback HTTP server whose behaviour per path is given by the test; counts requests and connections. */
class Loopback {
  requests: string[] = [];
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly handlers: Record<string, Handler>) {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const handler = this.handlers[req.url ?? ''];
      // Every handler reads the request first (as a receiver verifying a signature does), unless it resets it.
      if (!handler) return void res.writeHead(404).end();
      handler(req, res);
    });
    this.server.on('connection', (s: Socket) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // As a proxy: a tunnel (CONNECT) is refused, so a client using it fails at once.
    this.server.on('connect', (_req, s: Socket) => {
      this.requests.push('CONNECT');
      s.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

/** Reads the whole request, then answers with `then`. */
const afterBody = (then: Handler): Handler => (req, res) => {
  req.resume();
  req.on('end', () => then(req, res));
};

const key = randomBytes(32).toString('base64');

function row(url: string): DeliveryRow {
  const target = new URL(url);
  return {
    id: `msg_${randomBytes(6).toString('hex')}`,
    namespace: 'ns',
    claims: 1,
    owner_kind: 'Trigger',
    owner_name: 't',
    seq: '1',
    owner_uid: '00000000-0000-0000-0000-000000000001',
    url,
    target_key: `${target.protocol}//${target.host}`,
    body: '{"specversion":"1.0","type":"t","data":{}}',
    attributes: null,
    state: 'pending',
    generation: 1,
    attempts: 0,
    delivery: { url, secretRef: { name: 'key' } },
    secret: { key },
  };
}

/**
 * How DeliveryService's POST treats misbehaving receivers: no redirect followed, stalls bounded by
 * the delivery timeout, big bodies neither buffered nor waited for, resets recorded as errors, no
 * proxy from the environment, every 2xx delivered, Retry-After honoured up to the longest backoff.
 * `post` never touches Postgres, so the service gets no database here.
 */
describe('DeliveryService against misbehaving receivers (loopback HTTP)', () => {
  // Long enough that a reset or a short answer is never overtaken by the timeout on a loaded
  // machine (CI runs three test files at once), short enough for the two stalls that wait for it.
  const timeoutMs = 1500;
  const config = loadTriggerConfig({
    TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
    TRIGGER_DELIVERY_TIMEOUT_MS: String(timeoutMs),
    TRIGGER_BACKOFF_BASE_MS: '10',
    TRIGGER_BACKOFF_MAX_MS: '60000',
  });
  let service: DeliveryService;
  const post = (url: string): Promise<Sent> => service['post'](row(url));
  const next = (r: Sent, attempt = 1) => service['decideNext'](r as Parameters<DeliveryService['decideNext']>[0], attempt);

  const elsewhere = new Loopback({ '/moved': afterBody((_q, res) => res.writeHead(200).end()) });
  const rx = new Loopback({
    '/ok-body': afterBody((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')),
    '/no-content': afterBody((_q, res) => res.writeHead(204).end()),
    '/accepted': afterBody((_q, res) => res.writeHead(202).end('queued')),
    ...Object.fromEntries(
      [301, 302, 303, 307, 308].map((code) => [`/redirect-${code}`, afterBody((_q, res) => res.writeHead(code, { location: elsewhere.url('/moved') }).end())]),
    ),
    '/silent': () => undefined,
    '/stalled-body': afterBody((_q, res) => res.writeHead(200, { 'content-length': '100' }).write('x')),
    // 8 MiB announced and sent: nothing waits for or keeps it.
    '/huge': afterBody((_q, res) => {
      res.writeHead(200, { 'content-length': String(8 * 1024 * 1024) });
      res.end(Buffer.alloc(8 * 1024 * 1024));
    }),
    '/endless': afterBody((_q, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024);
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    }),
    '/endless-500': afterBody((_q, res) => {
      res.writeHead(500);
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 5);
      res.on('close', () => clearInterval(timer));
    }),
    '/reset-request': (req) => req.socket.resetAndDestroy(),
    // A 200 whose body the receiver cuts short: by a reset, or by closing before its announced length.
    '/reset-response': afterBody((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial', () => req.socket.resetAndDestroy());
    }),
    '/short-response': afterBody((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial', () => req.socket.destroy());
    }),
    '/retry-seconds': afterBody((_q, res) => res.writeHead(429, { 'retry-after': '3' }).end()),
    '/retry-date': afterBody((_q, res) => res.writeHead(503, { 'retry-after': new Date(Date.now() + 5000).toUTCString() }).end()),
    '/retry-forever': afterBody((_q, res) => res.writeHead(503, { 'retry-after': '99999999' }).end()),
  });

  beforeAll(async () => {
    await Promise.all([rx.start(), elsewhere.start()]);
    service = new DeliveryService(undefined as unknown as Database, config);
  });
  afterAll(async () => {
    await service.close();
    rx.close();
    elsewhere.close();
  });

  it('delivers a 2xx with a body, a 204 and a 202', async () => {
    for (const [path, code] of [['/ok-body', 200], ['/no-content', 204], ['/accepted', 202]] as const) {
      const r = await post(rx.url(path));
      expect(r).toMatchObject({ statusCode: code, error: null, permanent: null });
      expect(next(r).state).toBe('delivered');
    }
  });

  it('does not follow a redirect: a 3xx is a failed attempt, retried, and nothing reaches its Location', async () => {
    for (const code of [301, 302, 303, 307, 308]) {
      const r = await post(rx.url(`/redirect-${code}`));
      expect(r).toMatchObject({ statusCode: code, error: `receiver answered ${code}`, permanent: null });
      expect(next(r).state).toBe('pending');
    }
    expect(elsewhere.requests).toEqual([]);
  });

  it('ends an attempt at the delivery timeout when the receiver never answers, or stalls its body', async () => {
    for (const path of ['/silent', '/stalled-body']) {
      const r = await post(rx.url(path));
      expect(r.error).toBe(`timed out after ${timeoutMs} ms`);
      expect(r.latency).toBeGreaterThanOrEqual(timeoutMs - 10);
      expect(r.latency).toBeLessThan(timeoutMs + 1000);
      expect(next(r).state).toBe('pending');
    }
  });

  it('neither buffers nor waits for a huge or endless response body', async () => {
    for (const [path, code] of [['/huge', 200], ['/endless', 200], ['/endless-500', 500]] as const) {
      const r = await post(rx.url(path));
      expect(r.statusCode).toBe(code);
      // Waiting for the body would end the attempt at the delivery timeout; its latency is no
      // measure of that on a loaded machine, where much wall time can pass anyway.
      expect(r.error ?? '').not.toMatch(/timed out/);
      expect(next(r).state).toBe(code === 200 ? 'delivered' : 'pending');
    }
  });

  it('records a connection reset mid-request or mid-response as an error, retried', async () => {
    for (const path of ['/reset-request', '/reset-response', '/short-response']) {
      const r = await post(rx.url(path));
      expect(r.error).not.toBeNull();
      expect(r.error).not.toMatch(/timed out/);
      expect(r.permanent).toBeNull();
      expect(next(r).state).toBe('pending');
    }
  });

  it('delivers to a receiver that closes its keep-alive connections between requests', async () => {
    const closing = new Loopback({
      '/hook': afterBody((req, res) => {
        res.writeHead(200).end();
        res.on('finish', () => setTimeout(() => req.socket.destroy(), 10));
      }),
    });
    await closing.start();
    try {
      for (let i = 0; i < 3; i++) {
        expect(await post(closing.url('/hook'))).toMatchObject({ statusCode: 200, error: null });
        await new Promise((r) => setTimeout(r, 50));
      }
      // Each request found its pooled connection closed and opened another.
      expect(closing.connections).toBe(3);
    } finally {
      closing.close();
    }
  });

  it('honours Retry-After on a 429 or 503, in seconds or as an HTTP date, up to the longest backoff', async () => {
    const seconds = await post(rx.url('/retry-seconds'));
    expect(seconds).toMatchObject({ statusCode: 429, retryAfterMs: 3000, permanent: null });
    expect(next(seconds)).toEqual({ state: 'pending', delayMs: 3000 });
    const date = await post(rx.url('/retry-date'));
    expect(date.statusCode).toBe(503);
    // An HTTP date has whole seconds.
    expect(next(date).delayMs).toBeGreaterThan(3500);
    expect(next(date).delayMs).toBeLessThanOrEqual(5000);
    const forever = await post(rx.url('/retry-forever'));
    expect(next(forever)).toEqual({ state: 'pending', delayMs: 60000 });
  });

  it('sends directly, never through HTTP_PROXY / HTTPS_PROXY from the environment', async () => {
    const proxy = new Loopback({});
    await proxy.start();
    const saved = { ...process.env };
    let direct: DeliveryService | undefined;
    let viaEnv: EnvHttpProxyAgent | undefined;
    try {
      for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) process.env[name] = proxy.url('');
      delete process.env['NO_PROXY'];
      delete process.env['no_proxy'];
      direct = new DeliveryService(undefined as unknown as Database, config);
      const r = await direct['post'](row(rx.url('/ok-body')));
      expect(r).toMatchObject({ statusCode: 200, error: null });
      expect(proxy.connections).toBe(0);
      // The control: a client that honours these variables does reach the proxy.
      viaEnv = new EnvHttpProxyAgent();
      await expect(request(rx.url('/ok-body'), { method: 'POST', body: '{}', dispatcher: viaEnv })).rejects.toThrow(/403/);
      expect(proxy.requests).toEqual(['CONNECT']);
    } finally {
      process.env = saved;
      await direct?.close();
      await viaEnv?.close();
      proxy.close();
    }
  });
});
