import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './api-process';
import { deleteQueueKeys } from './queue-keys';
import { testQueuePrefix } from './queue-prefix';

/** An api process with its trigger worker (`--with-worker`) over a test database of its own. */
export interface TriggerServer {
  /** Base URL of the running api process. */
  readonly url: string;
  /** URL of the server's test database. */
  readonly databaseUrl: string;
  /** What the running api process (with its worker) has written: log lines and stderr. */
  output(): string;
  /** Stops the api process with `signal` (SIGKILL to crash it); the database and the queues stay. */
  stopApi(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts a new api process with the same environment (same database, same queues), stopping a
   * running one first; `env` overrides parts of it for this process only.
   */
  startApi(env?: Record<string, string>): Promise<void>;
  /** Stops the api process and drops the database. */
  close(): Promise<void>;
}

/**
 * Creates a test database and starts the api process with its worker on it: deliveries may go to
 * 127.0.0.1, all its queues have a prefix of their own, the relay polls every 250 ms (a commit wakes
 * it; the poll only covers a lost notification, and at 10 ms an idle server burned a twelfth of a
 * core); `env` adds to or overrides that environment. `close` drops the database and deletes the
 * queues' Redis keys.
 */
export async function startTriggerServer(env: Record<string, string> = {}): Promise<TriggerServer> {
  const db = await createTestDatabase();
  const processEnv = {
    DATABASE_URL: db.url,
    TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
    TRIGGER_QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    // The ingest and import queues too: under the default prefix every api-with-worker on the
    // machine consumed every other's registry-event jobs (finding no such event in its own
    // database), so an event waited for its own sweeper, seconds later.
    QUEUE_PREFIX: testQueuePrefix(),
    TRIGGER_RELAY_INTERVAL_MS: '250',
    ...env,
  };
  const start = (overrides: Record<string, string> = {}) => startApiProcess({ ...processEnv, ...overrides }, ['--with-worker']);
  let api: ApiProcess;
  try {
    api = await start();
  } catch (err) {
    await db.drop();
    throw err;
  }
  // ApiProcess.stop of a process already killed by a signal would wait for an 'exit' that has passed: stop each once.
  let stopped: Promise<unknown> | undefined;
  const stopApi = async (signal: NodeJS.Signals = 'SIGTERM') => {
    stopped ??= api.stop(signal);
    await stopped;
  };
  return {
    get url() {
      return api.url;
    },
    databaseUrl: db.url,
    output: () => api.output(),
    stopApi,
    async startApi(env?: Record<string, string>) {
      await stopApi();
      api = await start(env);
      stopped = undefined;
    },
    async close() {
      try {
        await stopApi();
      } finally {
        await db.drop();
        await deleteQueueKeys([processEnv.TRIGGER_QUEUE_PREFIX, processEnv.QUEUE_PREFIX]);
      }
    },
  };
}
