import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { envelope, postEnvelope, registryEvent, waitFor } from './ingest-harness';
import { freeLoopbackPort } from './support/free-port';
import { which } from './support/registry/tools';
import { startTriggerServer, type TriggerServer } from './support/trigger-server';

const skipReason = which('redis-server') ? null : 'redis-server not on PATH';
const describeLate = skipReason ? describe.skip : describe;

/**
 * Booting while Redis is not there yet (a cold start of the whole stack): nothing waits on it, and
 * the process survives the outage. The api and its worker run as the process users run
 * (`main.js --with-worker`): BullMQ can leave a Redis socket error unhandled while Redis is away,
 * which Node's default would turn into a crash (apps' redis-rejection guard).
 */
describeLate(`Redis comes up after the api and worker${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const secret = `ingest-${randomBytes(8).toString('hex')}`;
  let server: TriggerServer;
  let pg: Client;
  let redis: ChildProcess | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freeLoopbackPort();
    server = await startTriggerServer({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REGISTRY_NOTIFY_SECRET: secret,
      INTERNAL_REGISTRY_HOSTNAME: 'r.test:5000',
      INGEST_ATTEMPTS: '3',
      INGEST_BACKOFF_MS: '100',
      INGEST_SWEEP_INTERVAL_MS: '300',
      INGEST_SWEEP_AFTER_MS: '1000',
    });
    pg = new Client({ connectionString: server.databaseUrl });
    await pg.connect();
  }, 60000);
  afterAll(async () => {
    await pg?.end();
    await server?.close();
    redis?.kill('SIGTERM');
  });

  it('answers 202 while Redis is missing, then processes the stored event once Redis starts', async () => {
    const base = `${server.url}/apis/image.openshift.io/v1`;
    const notifyUrl = `${server.url}/registry/notifications`;
    // An Image the API already knows, so processing needs no registry read.
    const digest = `sha256:${'e'.repeat(64)}`;
    const created = await fetch(`${base}/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: digest }, dockerImageReference: `r.test:5000/late/app@${digest}` }),
    });
    expect(created.status).toBe(201);
    const event = registryEvent({ repository: 'late/app', tag: 'v1', digest });
    expect((await postEnvelope(notifyUrl, secret, envelope(event))).status).toBe(202);
    const state = async (id: unknown) => (await pg.query(`SELECT state FROM registry_events WHERE id = $1`, [id])).rows[0]?.state;
    expect(await state(event['id'])).toBe('pending');

    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor('the stored event processed', async () => (await state(event['id'])) === 'processed', 30000, 100);
    const tag = (await (await fetch(`${base}/namespaces/late/imagestreamtags/app:v1`)).json()) as { image: { metadata: { name: string } } };
    expect(tag.image.metadata.name).toBe(digest);

    // And the live path works too: a new event is processed without waiting for the sweeper.
    const next = registryEvent({ repository: 'late/app', tag: 'v2', digest });
    expect((await postEnvelope(notifyUrl, secret, envelope(next))).status).toBe(202);
    await waitFor('the next event processed', async () => (await state(next['id'])) === 'processed', 15000, 50);
    // The same process served it all: an unhandled rejection would have ended it.
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
  }, 60000);
});
