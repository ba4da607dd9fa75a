import { randomBytes } from 'node:crypto';
import { call, createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './api-process';
import { CuttableProxy } from './cuttable-proxy';
import { freeLoopbackPort } from './free-port';
import { deleteQueueKeys } from './queue-keys';
import { testQueuePrefix } from './queue-prefix';
import { createSigningSecret } from './trigger-resources';
import { Receiver } from './webhook-receiver';

export interface PostgresOutageStack {
  api: ApiProcess;
  /** Cut and restore the api's (and worker's) Postgres connections. */
  proxy: CuttableProxy;
  /** The process's environment with the database reached directly: for a second worker on the same queues. */
  directEnv: Record<string, string>;
  close(): Promise<void>;
}

/**
 * api and worker in one process (`--with-worker`) whose Postgres is reached through a proxy the
 * test can cut, with trigger settings `triggerEnv` on top of fast relaying and short backoffs; a
 * stream `base` and a signing secret are made in namespace `ns`. For the tests of a storage outage
 * while a delivery's POST is in flight, and of a sender stopped past its lease.
 */
export async function startPostgresOutageStack(ns: string, triggerEnv: Record<string, string>): Promise<PostgresOutageStack> {
  const db = await createTestDatabase();
  const prefixes = [`t${randomBytes(4).toString('hex')}`, testQueuePrefix()];
  const pgUrl = new URL(db.url);
  const proxy = new CuttableProxy(await freeLoopbackPort(), Number(pgUrl.port || 5432));
  await proxy.open();
  pgUrl.host = `127.0.0.1:${proxy.port}`;
  const env = {
    TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
    TRIGGER_QUEUE_PREFIX: prefixes[0]!,
    QUEUE_PREFIX: prefixes[1]!,
    TRIGGER_RELAY_INTERVAL_MS: '10', // the LISTEN session drops with Postgres: the poll finds what it missed at once
    TRIGGER_BACKOFF_BASE_MS: '200',
    TRIGGER_BACKOFF_MAX_MS: '400',
    ...triggerEnv,
  };
  const api = await startApiProcess({ ...env, DATABASE_URL: pgUrl.toString() }, ['--with-worker']);
  expect((await call('POST', `${api.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
  expect((await createSigningSecret(api.url, ns)).status).toBe(201);
  return {
    api,
    proxy,
    directEnv: { ...env, DATABASE_URL: db.url },
    close: async () => {
      await api.stop();
      await proxy.close();
      await db.drop();
      await deleteQueueKeys(prefixes);
    },
  };
}

/**
 * For a describe block: a receiver and a stack whose claims hold `lockMs` and whose POSTs time out
 * after `timeoutMs`, started before its tests and closed after them. Read `api`, `proxy` and
 * `stack` inside the tests.
 */
export function outageStackForTests(ns: string, lockMs: number, timeoutMs: number): { rx: Receiver; readonly stack: PostgresOutageStack; readonly api: ApiProcess; readonly proxy: CuttableProxy } {
  const rx = new Receiver();
  let stack: PostgresOutageStack | undefined;
  beforeAll(async () => {
    await rx.start();
    stack = await startPostgresOutageStack(ns, { TRIGGER_JOB_LOCK_MS: String(lockMs), TRIGGER_DELIVERY_TIMEOUT_MS: String(timeoutMs) });
  }, 60000);
  afterAll(async () => {
    await stack?.close();
    rx.close();
  });
  return {
    rx,
    get stack() {
      return stack!;
    },
    get api() {
      return stack!.api;
    },
    get proxy() {
      return stack!.proxy;
    },
  };
}
