import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * Watch semantics long-running clients rely on (client-go reflectors, @kubernetes/client-node
 * informers, the Python client's watch.stream), checked against kube-apiserver's watch cache.
 */
describe('watch semantics for long-running clients', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  const streams = (ns: string) => `${api.base}/namespaces/${ns}/imagestreams`;

  it('sendInitialEvents=false with resourceVersion=0 starts at the newest state, replaying nothing', async () => {
    // kube-apiserver's getAllEventsSinceLocked: resourceVersion 0 with sendInitialEvents=false means
    // "from any version", i.e. the cache's newest; only an absent sendInitialEvents replays the state.
    expect((await call('POST', streams('any'), { metadata: { name: 'existing' } })).status).toBe(201);
    const w = watchEvents(`${streams('any')}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=0`);
    await w.opened;
    expect((await call('POST', streams('any'), { metadata: { name: 'later' } })).status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'later'));
    w.stop();
    expect(w.events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'later']]);
  });
});
