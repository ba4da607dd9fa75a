import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** Header names and values as sent, repeats included (Node keeps only the first of some in `headers`). */
  rawHeaders: string[];
  /** The raw body as received (UTF-8), what a receiver verifies the signature over. */
  body: string;
  json: any;
  /** When the request ended (ms since the epoch). */
  receivedAt: number;
}

/**
 * A scripted answer of the Receiver: a status code, or one with response headers, sent once `after`
 * settles (when given); `cut`: the status line and part of the body, then a connection reset.
 */
export type ScriptedAnswer = number | { status: number; headers?: Record<string, string>; after?: Promise<unknown>; cut?: boolean };

/** A local webhook receiver for trigger tests: records every POST (CloudEvent) by path. */
export class Receiver {
  received: Received[] = [];
  /** Status per request (default 200); `hang` never answers. */
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  /** Scripted answers per path, used up in order before `mode` applies (see `answer`). */
  private readonly scripted = new Map<string, ScriptedAnswer[]>();
  private server!: Server;
  port = 0;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      // Chunks are joined before decoding: a multi-byte character may span two of them.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ path: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body, json: JSON.parse(body), receivedAt: Date.now() });
        const next = this.scripted.get(req.url ?? '')?.shift();
        if (typeof next === 'number') return void res.writeHead(next).end();
        if (next?.cut) {
          res.writeHead(next.status, { ...next.headers, 'content-length': '1000' });
          return void res.write('partial', () => req.socket.resetAndDestroy());
        }
        if (next !== undefined) return void (next.after ?? Promise.resolve()).finally(() => res.writeHead(next.status, next.headers).end());
        if (this.mode === 'hang') return;
        res.writeHead(this.mode === 'ok' ? 200 : 500).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }
  /** The next POSTs to `path` get `answers` (a status, or a status with headers), one each, in order; later ones get what `mode` says. */
  answer(path: string, ...answers: ScriptedAnswer[]): void {
    this.scripted.set(path, [...(this.scripted.get(path) ?? []), ...answers]);
  }
  url(path = '/hook') {
    return `http://127.0.0.1:${this.port}${path}`;
  }
  at(path: string) {
    return this.received.filter((r) => r.path === path);
  }
  async waitFor(path: string, n: number, timeoutMs = 15000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.at(path).length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} deliveries on ${path}; got ${this.at(path).length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.at(path);
  }
  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}
