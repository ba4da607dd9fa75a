import { Client } from 'pg';
import { CHANGE_CHANNEL } from './change-log';
import { KEEPALIVE_IDLE_MS } from './pool-options';

/** Pause before reconnecting a LISTEN session that failed or was cut. */
const RECONNECT_MS = 1000;

/**
 * A LISTEN session on the change channel: `onNotify` runs for every NOTIFY (one per burst of
 * commits per writing process, see ChangeNotifier). pg's LISTEN needs a session of its own, so
 * this is a plain pg Client beside the pool. After an error it reconnects in the background;
 * users also poll, slowly, so a notification lost meanwhile only delays them.
 */
export class ChangeListener {
  private client: Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly onNotify: () => void,
  ) {}

  /** Connects and LISTENs; resolves once listening, or after the first failure (retried later). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** True while the LISTEN session is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private reconnectLater(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.connect(), RECONNECT_MS);
    this.retry.unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // An idle session on a connection that died silently (a failover without a reset, a
    // partition) would never error: TCP keepalive probes it.
    const client = new Client({ connectionString: this.databaseUrl, keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS });
    // A failed connect may both reject and emit 'error': the session is retried once.
    let failed = false;
    const fail = () => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      this.reconnectLater();
    };
    client.on('notification', () => this.onNotify());
    client.on('error', fail);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      // Changes may have committed while the session was down: let the user look now.
      this.onNotify();
    } catch {
      fail();
    }
  }
}
