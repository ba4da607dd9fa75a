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

describe('requestDeadlineMs (kube-apiserver request deadline filter and write handlers)', () => {
  it('is the asked timeout capped at the request timeout; without one (or 0, or negative) 60 s, 34 s for a write', () => {
    const of = (value: string, method = 'GET') => requestDeadlineMs((parseGoDuration(value) as { nanoseconds: number }).nanoseconds, method);
    expect([of('300ms'), of('1.5s'), of('59s'), of('60s'), of('5m'), of('0'), of('-1s')]).toEqual([300, 1500, 59000, 60000, 60000, 60000, 60000]);
    expect([of('50s', 'POST'), of('0', 'PATCH'), requestDeadlineMs(null, 'DELETE'), requestDeadlineMs(null, 'GET')]).toEqual([50000, 34000, 34000, 60000]);
    // REQUEST_TIMEOUT_SECONDS shorter than a write's own 34 s bounds writes too.
    expect([requestDeadlineMs(null, 'PUT', 5000), requestDeadlineMs(10e9, 'GET', 5000)]).toEqual([5000, 5000]);
  });
});

/** A bare Fastify with the deadline hook; `/slow` answers when the test releases it. */
async function server(requestTimeoutMs?: number): Promise<{ app: FastifyInstance; logged: string[]; responses: () => number; release: () => void }> {
  const logged: string[] = [];
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => logged.push(line) } } });
  enforceRequestDeadlines(app, requestTimeoutMs);
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
  for (const path of ['/apis/x/slow', '/apis/x/watch/slow', '/slow']) {
    app.get(path, async (_req, reply) => {
      await released;
      return reply.code(200).send({ late: true });
    });
  }
  app.post('/apis/x/slow', async (_req, reply) => {
    await released;
    return reply.code(201).send({ late: true });
  });
  app.get('/apis/x/fast', (_req, reply) => reply.send({ fast: true }));
  // An error sent as the answer: Fastify's error handler then sends the error's own answer.
  app.get('/apis/x/fails', (_req, reply) => reply.code(413).send(Object.assign(new Error('too large'), { statusCode: 413 })));
  await app.ready();
  return { app, logged, responses: () => responses, release };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('enforceRequestDeadlines', () => {
  it('answers 504 Timeout once at the deadline; the handler answering later is dropped without a warning', async () => {
    const { app, logged, responses, release } = await server();
    const started = Date.now();
    const read = await app.inject({ method: 'GET', url: '/apis/x/slow?timeout=50ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // (the api's onSend hook takes off the `; charset=utf-8` a bare Fastify adds)
    expect([read.statusCode, read.headers['retry-after'], read.json()]).toEqual([
      504,
      undefined,
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 },
    ]);
    const write = await app.inject({ method: 'POST', url: '/apis/x/slow?timeout=50ms' });
    expect([write.statusCode, write.json<{ message: string }>().message]).toEqual([504, 'Timeout: request did not complete within requested timeout - context deadline exceeded']);
    release();
    await sleep(50);
    expect(responses()).toBe(2);
    expect(logged).toEqual([]);
    await app.close();
  });

  it('leaves a request answered in time alone, also when its answer is still being sent at the deadline', async () => {
    const { app, logged, responses } = await server();
    expect((await app.inject({ method: 'GET', url: '/apis/x/fast?timeout=20ms' })).json()).toEqual({ fast: true });
    const sending = await app.inject({ method: 'GET', url: '/apis/x/fast?timeout=20ms', headers: { 'x-slow-send': '1' } });
    expect([sending.statusCode, sending.json()]).toEqual([200, { fast: true }]);
    await sleep(50);
    expect(responses()).toBe(2);
    expect(logged).toEqual([]);
    await app.close();
  });

  it('gives a request without a timeout of its own the server\'s deadline', async () => {
    const { app, release } = await server(50);
    const started = Date.now();
    const [read, zero, write] = await Promise.all([
      app.inject({ method: 'GET', url: '/apis/x/slow' }),
      app.inject({ method: 'GET', url: '/apis/x/slow?timeout=0' }),
      app.inject({ method: 'POST', url: '/apis/x/slow' }),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect([read.statusCode, zero.statusCode, write.statusCode]).toEqual([504, 504, 504]);
    expect(write.json<{ message: string }>().message).toBe('Timeout: request did not complete within requested timeout - context deadline exceeded');
    release();
    await app.close();
  });

  it('lets the error handler answer an error sent as the answer', async () => {
    const { app } = await server();
    const failed = await app.inject({ method: 'GET', url: '/apis/x/fails' });
    expect([failed.statusCode, failed.json<{ message: string }>().message]).toEqual([413, 'too large']);
    await app.close();
  });

  it('sets no deadline on watches nor outside the Kubernetes API', async () => {
    const { app, release } = await server(50);
    const answers = ['/apis/x/slow?watch=1&timeout=10ms', '/apis/x/watch/slow', '/slow', '/slow?timeout=10ms'].map((url) => app.inject({ method: 'GET', url }));
    await sleep(80);
    release();
    for (const answer of await Promise.all(answers)) expect(answer.statusCode).toBe(200);
    await app.close();
  });
});
