/**
 * Shared pieces of the registry-ingestion integration tests (test/ingest-*.int-spec.ts): an api
 * with the receiver over its own database, optionally a real registry notifying it and a worker
 * (in-process or as an OS process), each test file on its own BullMQ queue prefix.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type { AppConfig } from '@app/config';
import { parseAnswerBody, testConfig } from '@app/testing';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { startTestApi, type TestApi } from './support/api-server';
import { appMainArgs } from './support/app-build';
import { type BuiltImage, OciLayout, type RunningRegistry, startRegistry } from './support/registry';
import { waitFor } from './support/poll';
import { testQueuePrefix } from './support/queue-prefix';

export const EVENTS_TYPE = 'application/vnd.docker.distribution.events.v1+json';

export interface IngestStack {
  api: TestApi;
  /** The worker's configuration (the api's, plus REGISTRY_URL when a registry runs). */
  config: AppConfig;
  secret: string;
  notifyUrl: string;
  registry: RunningRegistry | null;
  worker: WorkerProcess | null;
  /** A direct connection to the api's database, for inbox checks. */
  pg: Client;
  startWorker(): Promise<WorkerProcess>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Start a docker-registry that notifies the api. */
  registry?: boolean;
  /** Start the worker in this process (default true). */
  worker?: boolean;
  overrides?: Partial<AppConfig>;
}

/** Fast retries and sweeps so failure paths finish within a test's time. */
export const fastIngest: Partial<AppConfig> = {
  ingestAttempts: 3,
  ingestBackoffMs: 100,
  ingestSweepIntervalMs: 300,
  ingestSweepAfterMs: 1000,
  registryTimeoutMs: 3000,
};

export async function startIngestStack(options: StackOptions = {}): Promise<IngestStack> {
  const secret = `ingest-${randomBytes(8).toString('hex')}`;
  const base: Partial<AppConfig> = {
    registryNotifySecret: secret,
    queuePrefix: testQueuePrefix(),
    ...fastIngest,
    ...options.overrides,
  };
  const api = await startTestApi(base);
  const notifyUrl = `${api.url}/registry/notifications`;
  const registry = options.registry
    ? await startRegistry({ notifyUrl, notifyHeaders: { Authorization: `Bearer ${secret}` }, logLevel: 'warn' })
    : null;
  const config = testConfig(api.databaseUrl, { ...base, ...(registry ? { registryUrl: registry.url } : {}) });
  const pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  const stack: IngestStack = {
    api,
    config,
    secret,
    notifyUrl,
    registry,
    worker: null,
    pg,
    async startWorker() {
      stack.worker = await bootstrapWorker(config);
      return stack.worker;
    },
    async close() {
      await stack.worker?.close();
      await registry?.stop();
      await pg.end();
      await api.close();
    },
  };
  if (options.worker !== false) await stack.startWorker();
  return stack;
}

/** Polls `probe` until it returns something truthy; fails with `what` and the last value on timeout. */
/**
 * Inside a describe: an ingest stack with a real registry and an OCI layout to build images in,
 * started before the suite's tests and removed after them.
 */
export function registryStackFixture(): { stack: () => IngestStack; layout: () => OciLayout } {
  let stack: IngestStack | undefined;
  let layout: OciLayout | undefined;
  beforeAll(async () => {
    stack = await startIngestStack({ registry: true });
    layout = await OciLayout.create();
  });
  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });
  return { stack: () => stack!, layout: () => layout! };
}

/** Re-exported: the ingest tests import their polling from here. */
export { waitFor };

/** The settled state of the first tagged manifest push to `repository` (waits while it is pending). */
export function settledPush(stack: IngestStack, repository: string): Promise<{ state: string; reason: string | null }> {
  return waitFor(`push to ${repository} settled`, async () => {
    const { rows } = await stack.pg.query<{ state: string; reason: string | null }>(
      `SELECT state, reason FROM registry_events WHERE repository = $1 AND kind = 'manifest-push' AND tag IS NOT NULL`,
      [repository],
    );
    return rows[0] && rows[0].state !== 'pending' ? rows[0] : null;
  });
}

/** POSTs an envelope as the registry does (content type and secret header). */
export async function postEnvelope(
  url: string,
  secret: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': EVENTS_TYPE, ...(secret === null ? {} : { authorization: `Bearer ${secret}` }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: parseAnswerBody(await res.text()) };
}

/** The inbox API (GET/POST with the shared secret). */
export async function inboxCall(api: TestApi, secret: string, method: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}/registry/events${path}`, { method, headers: { authorization: `Bearer ${secret}` } });
  return { status: res.status, body: await res.json() };
}

export interface EventShape {
  id?: string;
  /** RFC 3339 with nanoseconds; default now. */
  timestamp?: string;
  action?: 'push' | 'pull' | 'mount' | 'delete';
  repository: string;
  tag?: string;
  digest?: string;
  mediaType?: string;
  instanceID?: string;
}

const DEFAULT_INSTANCE = randomUUID();

/** RFC 3339 with nanoseconds from epoch nanoseconds, as the registry writes it. */
export function nanosToRfc3339(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const nanos = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${nanos}Z`;
}

/** One event in the shape distribution 2.8 sends (see ../shared/reference/registry/events/). */
export function registryEvent(e: EventShape): Record<string, unknown> {
  const action = e.action ?? 'push';
  const mediaType = e.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const target: Record<string, unknown> =
    action === 'delete'
      ? { ...(e.digest ? { digest: e.digest } : {}), repository: e.repository, ...(e.tag ? { tag: e.tag } : {}) }
      : {
          mediaType,
          size: 402,
          digest: e.digest,
          length: 402,
          repository: e.repository,
          url: `http://127.0.0.1:5500/v2/${e.repository}/manifests/${e.digest}`,
          ...(e.tag ? { tag: e.tag } : {}),
        };
  return {
    id: e.id ?? randomUUID(),
    timestamp: e.timestamp ?? nanosToRfc3339(BigInt(Date.now()) * 1_000_000n),
    action,
    target,
    request: { id: randomUUID(), addr: '127.0.0.1:34214', host: '127.0.0.1:5500', method: action === 'delete' ? 'DELETE' : 'PUT', useragent: 'skopeo/1.9.3' },
    actor: {},
    source: { addr: 'vm:5500', instanceID: e.instanceID ?? DEFAULT_INSTANCE },
  };
}

export const envelope = (...events: Record<string, unknown>[]) => ({ events });

/** Inbox rows by state. */
export async function inboxStates(pg: Client, where = 'true'): Promise<Record<string, number>> {
  const rows = await pg.query<{ state: string; n: string }>(`SELECT state, count(*)::text AS n FROM registry_events WHERE ${where} GROUP BY state`);
  return Object.fromEntries(rows.rows.map((r) => [r.state, Number(r.n)]));
}

/** The worker as its own OS process (so a test can kill -9 it). */
export interface WorkerChild {
  child: ChildProcess;
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const root = join(__dirname, '..');

export function configEnv(config: AppConfig): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    REGISTRY_URL: config.registryUrl,
    QUEUE_PREFIX: config.queuePrefix,
    INGEST_ATTEMPTS: String(config.ingestAttempts),
    INGEST_BACKOFF_MS: String(config.ingestBackoffMs),
    INGEST_SWEEP_INTERVAL_MS: String(config.ingestSweepIntervalMs),
    INGEST_SWEEP_AFTER_MS: String(config.ingestSweepAfterMs),
    INGEST_CONCURRENCY: String(config.ingestConcurrency),
    REGISTRY_TIMEOUT_MS: String(config.registryTimeoutMs),
    DB_POOL_SIZE: String(config.dbPoolSize),
    INTERNAL_REGISTRY_HOSTNAME: config.internalRegistryHostname,
    LOG_LEVEL: 'warn',
  };
}

/** Starts `apps/worker/src/main.ts`; resolves once it has settled at least one event or after `readyMs`. */
export function spawnWorker(config: AppConfig): WorkerChild {
  const child = spawn(
    process.execPath,
    appMainArgs('worker'),
    { cwd: root, env: { ...process.env, ...configEnv(config) }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    child,
    stderr: () => stderr,
    async kill(signal) {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * Pushes an image of an OCI layout over the registry's HTTP API (what skopeo does, without a process
 * per push): each missing blob in one upload session, then the manifest under `reference` (a tag,
 * or the manifest digest for a push by digest).
 */
export async function putImage(registryUrl: string, repository: string, layoutDir: string, image: BuiltImage, reference: string): Promise<void> {
  for (const digest of [image.configDigest, ...image.layers.map((l) => l.digest)]) {
    const head = await fetch(`${registryUrl}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
    if (head.status === 200) continue;
    const content = await readFile(join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
    // distribution 2.8 has no single-POST upload: open a session, then PUT the whole blob into it.
    const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw new Error(`blob upload ${repository}: ${start.status} ${await start.text()}`);
    const url = new URL(location, registryUrl);
    url.searchParams.set('digest', digest);
    const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: content });
    if (res.status !== 201) throw new Error(`blob upload ${repository}@${digest}: ${res.status} ${await res.text()}`);
  }
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': image.manifestMediaType },
    body: image.manifest,
  });
  if (put.status !== 201) throw new Error(`manifest PUT ${repository}:${reference}: ${put.status} ${await put.text()}`);
}

/**
 * `skopeo delete docker://<host>/<repository>@<digest>` over plain HTTP. distribution 2.8 deletes
 * by digest only, and drops every tag that pointed at the manifest (one tag-delete event each, G5).
 */
export async function skopeoDelete(registryHost: string, repository: string, digest: string): Promise<void> {
  await promisify(execFile)('skopeo', ['delete', '--tls-verify=false', `docker://${registryHost}/${repository}@${digest}`], { timeout: 30_000 });
}
