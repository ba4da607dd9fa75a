import Fastify, { type FastifyInstance } from 'fastify';
import { enforceRequestDeadlines, parseGoDuration, requestDeadlineMs } from './request-timeout';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it('gives the length in nanoseconds, signed', () => {
    expect(parseGoDuration('300ms')).toEqual({ nanoseconds: 300e6 });
    expect(parseGoDuration('1h30m')).toEqual({ nanoseconds: 5400e9 });
    expect(parseGoDuration('.5s')).toEqual({ nanoseconds: 0.5e9 });
    expect(parseGoDuration('-1s')).toEqual({ nanoseconds: -1e9 });
    expect(parseGoDuration('+0')).toEqual({ nanoseconds: 0 });
    expect(parseGoDuration('5')).toEqual({ error: 'time: missing unit in duration "5"' });
  });
});

describe('requestDeadlineMs (kube-apiserver request deadline filter)', () => {
  it('is the asked timeout capped at the 60 s request timeout; 0 or negative asks for none of its own', () => {
    const of = (value: string) => requestDeadlineMs((parseGoDuration(value) as { nanoseconds: number }).nanoseconds);
    expect([of('300ms'), of('1.5s'), of('59s'), of('60s'), of('5m'), of('0'), of('-1s')]).toEqual([300, 1500, 59000, 60000, 60000, null, null]);
  });
});

/** A bare Fastify with the deadline hook; `/slow` answers when the test releases it. */
async function server(): Promise<{ app: FastifyInstance; logged: string[]; responses: () => number; release: () => void }> {
  const logged: string[] = [];
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => logged.push(line) } } });
  enforceRequestDeadlines(app);
  let responses = 0;
  app.addHook('onResponse', (_req, _reply, done) => {
    responses += 1;
    done();
  });
  // An answer whose onSend work outlasts the deadline (a large answer being compressed).
  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.headers['x-slow-send']) await new Promise((r) => setTimeout(r, 100));
    return payload;
  });
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  app.get('/slow', async (_req, reply) => {
    await released;
    return reply.code(200).send({ late: true });
  });
  app.post('/slow', async (_req, reply) => {
    await released;
    return reply.code(201).send({ late: true });
  });
  app.get('/fast', (_req, reply) => reply.send({ fast: true }));
  await app.ready();
  return { app, logged, responses: () => responses, release };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('enforceRequestDeadlines', () => {
  it('answers 504 Timeout once at the deadline; the handler answering later is dropped without a warning', async () => {
    const { app, logged, responses, release } = await server();
    const started = Date.now();
    const read = await app.inject({ method: 'GET', url: '/slow?timeout=50ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // (the api's onSend hook takes off the `; charset=utf-8` a bare Fastify adds)
    expect([read.statusCode, read.headers['retry-after'], read.json()]).toEqual([
      504,
      undefined,
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 },
    ]);
    const write = await app.inject({ method: 'POST', url: '/slow?timeout=50ms' });
    expect([write.statusCode, write.json<{ message: string }>().message]).toEqual([504, 'Timeout: request did not complete within requested timeout - context deadline exceeded']);
    release();
    await sleep(50);
    expect(responses()).toBe(2);
    expect(logged).toEqual([]);
    await app.close();
  });

  it('leaves a request answered in time alone, also when its answer is still being sent at the deadline', async () => {
    const { app, logged, responses } = await server();
    expect((await app.inject({ method: 'GET', url: '/fast?timeout=20ms' })).json()).toEqual({ fast: true });
    const sending = await app.inject({ method: 'GET', url: '/fast?timeout=20ms', headers: { 'x-slow-send': '1' } });
    expect([sending.statusCode, sending.json()]).toEqual([200, { fast: true }]);
    await sleep(50);
    expect(responses()).toBe(2);
    expect(logged).toEqual([]);
    await app.close();
  });

  it('sets no deadline without a positive timeout, and none on watches', async () => {
    const { app, release } = await server();
    const answers = ['/slow', '/slow?timeout=0', '/slow?timeout=-1s', '/slow?watch=1&timeout=10ms'].map((url) => app.inject({ method: 'GET', url }));
    await sleep(80);
    release();
    for (const answer of await Promise.all(answers)) expect(answer.statusCode).toBe(200);
    await app.close();
  });
});
