import { call } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { digest, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

const NS = 'feedtokens';

/**
 * A continue token of the tag-change feed carries the position its first page read up to (the
 * snapshot); later pages read up to it. The feed checked the token's last item against the feed,
 * but not that position: a token the feed never handed out whose position is ahead of the feed (a
 * Trigger list's token, whose resourceVersion is the server's, far ahead of feed positions; one
 * from another database) was served. The page then read past the horizon (moves still open
 * there can commit later with a lower id, which a consumer resuming after them skips for good) and
 * reported as its resourceVersion a position the feed never reached: resuming from it was a 400,
 * or, once the feed got there, skipped every move in between. Such a token is now a 400, as a bare
 * cursor ahead of the feed is.
 */
describe('tag change feed: a continue token ahead of the feed', () => {
  let server: TriggerServer;
  const feed = (ns = NS) => `${server.url}${TRIGGERS_API}/namespaces/${ns}/tagchangeevents`;
  const token = (t: object) => Buffer.from(JSON.stringify({ v: 1, ...t })).toString('base64url');

  beforeAll(async () => {
    server = await startTriggerServer();
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    for (const c of ['a', 'b', 'c']) await mapImage(server.url, NS, { stream: 'base', tag: 'latest', image: digest(c), repository: 'quay.io/acme/base' });
    // Trigger names may be all digits, as feed positions are; each write moves the server's resourceVersion.
    for (const name of ['1', '2', '3']) {
      const spec = triggerSpec('base:latest', { kind: 'Webhook', name: `w${name}` }, 'http://127.0.0.1:9/hook');
      expect((await call('POST', `${server.url}${TRIGGERS_API}/namespaces/${NS}/triggers`, { metadata: { name }, spec })).status).toBe(201);
    }
  }, 60000);
  afterAll(async () => {
    await server?.close();
  });

  it('a token handed out by a Trigger list is 400 on the feed, not a page reaching past it', async () => {
    const feedEnd = (await call('GET', feed())).body.metadata.resourceVersion as string;
    const triggers = (await call('GET', `${server.url}${TRIGGERS_API}/namespaces/${NS}/triggers?limit=1`)).body;
    expect(triggers.metadata.continue).toEqual(expect.any(String));
    expect(BigInt(triggers.metadata.resourceVersion)).toBeGreaterThan(BigInt(feedEnd));

    const page = await call('GET', `${feed()}?limit=1&continue=${triggers.metadata.continue}`);
    expect({ status: page.status, resourceVersion: page.body.metadata?.resourceVersion }).toEqual({ status: 400, resourceVersion: undefined });
    expect(page.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: expect.stringContaining('invalid continue token') });
  });

  it('a token whose snapshot is ahead of the feed is 400, cluster-wide too', async () => {
    const feedEnd = BigInt((await call('GET', feed())).body.metadata.resourceVersion);
    const ahead = token({ rv: String(feedEnd + 1000n), namespace: '', name: '1' });
    const page = await call('GET', `${server.url}${TRIGGERS_API}/tagchangeevents?limit=1&continue=${ahead}`);
    expect(page.status).toBe(400);
    expect(page.body.message).toContain('is not one the feed handed out');
  });

  it('the tokens the feed hands out still lead through its snapshot', async () => {
    const first = (await call('GET', `${feed()}?limit=2`)).body;
    expect(first.items).toHaveLength(2);
    const rest = (await call('GET', `${feed()}?limit=2&continue=${first.metadata.continue}`)).body;
    expect(rest.items).toHaveLength(1);
    expect(rest.metadata).toEqual({ resourceVersion: first.metadata.resourceVersion });
  });
});
