import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import { CHANGE_CHANNEL, type ChangeRecord, currentResourceVersion, type Database, readChanges } from '@app/persistence';

/**
 * Tails the change log for this process: one LISTEN connection (pg's LISTEN needs a dedicated
 * session, so it is a plain pg Client beside the pool) plus a slow poll that covers missed
 * notifications and reconnects. Emits changes in resourceVersion order, each exactly once.
 * A write on any replica reaches every replica's watchers through the shared table.
 */
export class ChangeFeed extends EventEmitter {
  private cursor = '0';
  private listener: Client | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private redrain = false;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly databaseUrl: string,
    private readonly pollIntervalMs = 1000,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Newest resourceVersion this feed has delivered: all changes at or below it were emitted. */
  get position(): string {
    return this.cursor;
  }

  async start(): Promise<void> {
    this.cursor = await currentResourceVersion(this.db);
    await this.connect();
    this.pollTimer = setInterval(() => this.kick(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', () => this.kick());
    client.on('error', () => {
      // The poll keeps delivering; reconnect the LISTEN session in the background.
      void client.end().catch(() => undefined);
      if (this.listener === client) this.listener = undefined;
      setTimeout(() => void this.connect().catch(() => undefined), 1000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      this.listener = client;
      this.kick();
    } catch {
      await client.end().catch(() => undefined);
      setTimeout(() => void this.connect().catch(() => undefined), 1000).unref();
    }
  }

  /** Reads everything past the cursor; coalesces concurrent wake-ups into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.redrain = true;
      return;
    }
    this.draining = this.drain()
      .catch(() => undefined)
      .finally(() => {
        this.draining = undefined;
        if (this.redrain) {
          this.redrain = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const batch = await readChanges(this.db, this.cursor, 500);
      for (const change of batch) {
        this.cursor = change.rv;
        this.emit('change', change);
      }
      if (batch.length < 500) return;
    }
  }

  onChange(fn: (c: ChangeRecord) => void): () => void {
    this.on('change', fn);
    return () => this.off('change', fn);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.listener?.end().catch(() => undefined);
    await this.draining;
  }
}
