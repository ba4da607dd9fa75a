import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAccessPolicy } from '@app/config';
import { startTestApi, type TestApi } from './support/api-server';
import { makeTokenSigner } from './support/token-signer';

// The default failedLogins: {burst: 5, intervalSeconds: 10}.
const POLICY = `
users:
  - {name: alice, password: alice-pass}
  - {name: bob, password: bob-pass}
  - {name: carol, password: carol-pass}
  - {name: dave, password: dave-pass}
grants:
  - {subjects: [alice, bob, carol, dave], namespaces: [myproject], actions: [pull]}
`;

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * README, Access control: wrong credentials are throttled per client address and user name, and
 * then every attempt of that pair, right or wrong, is 429. One count for the API (API_AUTHENTICATION)
 * and the registry token endpoint: a guesser gets no second budget at the other door, and a pair
 * throttled at one is throttled at the other.
 */
describe('one failed-login throttle for the API and the registry token endpoint', () => {
  let api: TestApi;
  let dir: string;
  const apiGet = (authorization: string) => fetch(`${api.url}/apis/image.openshift.io/v1/images`, { headers: { authorization } });
  const tokenGet = (authorization: string) => fetch(`${api.url}/registry/token?service=s&scope=repository:myproject/app:pull`, { headers: { authorization } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shared-throttle-'));
    const { keyPem } = await makeTokenSigner(dir, 'signer');
    api = await startTestApi({
      registryToken: { keyPem, issuer: 'i', service: 's', ttlSeconds: 300 },
      accessPolicy: parseAccessPolicy(POLICY),
      apiAuthentication: true,
    });
  }, 90000);
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('5 failures at the API: the right password at /registry/token is 429 TOOMANYREQUESTS', async () => {
    for (let i = 0; i < 5; i++) expect((await apiGet(basic('alice', `guess-${i}`))).status).toBe(401);
    const res = await tokenGet(basic('alice', 'alice-pass'));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toEqual({ errors: [{ code: 'TOOMANYREQUESTS', message: 'too many failed login attempts, please try again later', detail: null }] });
    expect((await apiGet(basic('alice', 'alice-pass'))).status).toBe(429);
    // Other users from the same address are not held back at either.
    expect((await tokenGet(basic('dave', 'dave-pass'))).status).toBe(200);
    expect((await apiGet(basic('dave', 'dave-pass'))).status).toBe(200);
  });

  it('5 failures at /registry/token: the right password at the API is 429 TooManyRequests', async () => {
    for (let i = 0; i < 5; i++) expect((await tokenGet(basic('bob', `guess-${i}`))).status).toBe(401);
    const res = await apiGet(basic('bob', 'bob-pass'));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect((await tokenGet(basic('bob', 'bob-pass'))).status).toBe(429);
  });

  it('failures at both count once: 3 at the API and 2 at the token endpoint use up the 5', async () => {
    for (let i = 0; i < 3; i++) expect((await apiGet(basic('carol', `guess-${i}`))).status).toBe(401);
    for (let i = 3; i < 5; i++) expect((await tokenGet(basic('carol', `guess-${i}`))).status).toBe(401);
    expect((await apiGet(basic('carol', 'guess-5'))).status).toBe(429);
    expect((await tokenGet(basic('carol', 'guess-5'))).status).toBe(429);
  });
});
