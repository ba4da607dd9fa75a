import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

/** A local webhook receiver for trigger tests: records every POST (CloudEvent) by path. */
export class Receiver {
  received: Received[] = [];
  /** Status per request (default 200); `hang` never answers. */
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  private server!: Server;
  port = 0;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) });
        if (this.mode === 'hang') return;
        res.writeHead(this.mode === 'ok' ? 200 : 500).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
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
