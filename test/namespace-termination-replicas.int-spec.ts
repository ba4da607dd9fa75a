import { call, createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { waitFor } from './support/poll';

/**
 * Found by the multi-replica audit: a namespace is emptied and removed by a timer of the api that
 * took its DELETE. Killed within the delay, that api left the namespace Terminating, with its
 * contents, for as long as no api restarted. Every replica now finishes a namespace it sees
 * marked, as any running namespace controller would.
 */
describe('a namespace deleted through an api that dies at once', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: ApiProcess | undefined;
  let b: ApiProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, NAMESPACE_TERMINATION_DELAY_MS: '2000' };
    a = await startApiProcess(env);
    b = await startApiProcess(env);
  }, 90000);

  afterAll(async () => {
    await a?.stop('SIGKILL');
    await b?.stop();
    await db?.drop();
  });

  it('is emptied and removed by the other api', async () => {
    const ns = (api: ApiProcess) => `${api.url}/api/v1/namespaces`;
    expect((await call('POST', ns(a!), { metadata: { name: 'doomed' } })).status).toBe(201);
    const streams = (api: ApiProcess) => `${api.url}/apis/image.openshift.io/v1/namespaces/doomed/imagestreams`;
    expect((await call('POST', streams(a!), { metadata: { name: 'app' } })).status).toBe(201);
    expect((await call('DELETE', `${ns(a!)}/doomed`)).status).toBe(200);
    // Before its termination delay ends, the api that took the DELETE is gone.
    await a!.stop('SIGKILL');
    a = undefined;
    await waitFor('the other api removed the namespace and its content', async () => ((await call('GET', `${ns(b!)}/doomed`)).status === 404 ? true : null), 30000);
    expect((await call('GET', `${streams(b!)}/app`)).status).toBe(404);
  }, 60000);
});
