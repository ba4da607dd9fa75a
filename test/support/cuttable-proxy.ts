import { createServer, type Server, type Socket, connect } from 'node:net';
import { freeLoopbackPort } from './free-port';

/**
 * A TCP proxy in front of Postgres that a test can cut (new connections refused, open ones reset)
 * or stall (connections stay open and nothing passes either way: a partition, a stopped server).
 */
export class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      if (!this.stalled) forward(pair);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  get isOpen(): boolean {
    return this.server !== null;
  }

  async cut(): Promise<void> {
    const server = this.server!;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Nothing passes any more, in either direction; connections (and new ones) stay open. */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** What was held back passes, as TCP delivers it once a partition heals. */
  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) forward(pair);
  }

  /** Stops listening and drops every connection, whether or not a test left the proxy cut. */
  async close(): Promise<void> {
    if (this.server) await this.cut();
  }
}

function forward([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}

/** An open proxy in front of the Postgres `databaseUrl` names, and the same URL through it. */
export async function proxyInFrontOf(databaseUrl: string): Promise<{ proxy: CuttableProxy; url: string }> {
  const proxy = new CuttableProxy(await freeLoopbackPort(), Number(new URL(databaseUrl).port || 5432));
  await proxy.open();
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return { proxy, url: proxied.toString() };
}
