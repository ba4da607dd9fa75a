import { type ChildProcess, spawn } from 'node:child_process';
import { envelope, postEnvelope, registryEvent, startIngestStack, waitFor, type IngestStack } from './ingest-harness';
import { freeLoopbackPort } from './support/free-port';
import { which } from './support/registry/tools';

const skipReason = which('redis-server') ? null : 'redis-server not on PATH';
const describeLate = skipReason ? describe.skip : describe;

/** Booting while Redis is not there yet (a cold start of the whole stack): nothing waits on it. */
describeLate(`Redis comes up after the api and worker${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let stack: IngestStack;
  let redis: ChildProcess | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freeLoopbackPort();
    // startIngestStack boots the worker too, both while nothing listens on the Redis port.
    stack = await startIngestStack({ overrides: { redisUrl: `redis://127.0.0.1:${port}`, internalRegistryHostname: 'r.test:5000' } });
  });
  afterAll(async () => {
    await stack?.close();
    redis?.kill('SIGTERM');
  });

  it('answers 202 while Redis is missing, then processes the stored event once Redis starts', async () => {
    // An Image the API already knows, so processing needs no registry read.
    const digest = `sha256:${'e'.repeat(64)}`;
    const created = await fetch(`${stack.api.base}/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: digest }, dockerImageReference: `r.test:5000/late/app@${digest}` }),
    });
    expect(created.status).toBe(201);
    const event = registryEvent({ repository: 'late/app', tag: 'v1', digest });
    expect((await postEnvelope(stack.notifyUrl, stack.secret, envelope(event))).status).toBe(202);
    const state = async () => (await stack.pg.query(`SELECT state FROM registry_events WHERE id = $1`, [event['id']])).rows[0]?.state;
    expect(await state()).toBe('pending');

    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor('the stored event processed', async () => (await state()) === 'processed', 30000, 100);
    const tag = (await (await fetch(`${stack.api.base}/namespaces/late/imagestreamtags/app:v1`)).json()) as { image: { metadata: { name: string } } };
    expect(tag.image.metadata.name).toBe(digest);

    // And the live path works too: a new event is processed without waiting for the sweeper.
    const next = registryEvent({ repository: 'late/app', tag: 'v2', digest });
    expect((await postEnvelope(stack.notifyUrl, stack.secret, envelope(next))).status).toBe(202);
    await waitFor('the next event processed', async () => (await stack.pg.query(`SELECT state FROM registry_events WHERE id = $1`, [next['id']])).rows[0]?.state === 'processed', 15000, 50);
  }, 60000);
});
