import { randomBytes } from 'node:crypto';
import { call } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, mapImage, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/**
 * The trigger relay is woken by the commit of a tag move (the change channel's NOTIFY), not by
 * its poll: with the poll set to a minute, a mapping is still delivered within seconds, and so is
 * the next one, and a trigger created after a move fires for it.
 */
describe('trigger relay wake-up on commit (api + worker process, Postgres LISTEN/NOTIFY)', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const secret = `whsec_${randomBytes(24).toString('base64')}`;

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_RELAY_INTERVAL_MS: '60000' });
    await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/wake/imagestreams`, { metadata: { name: 'app' } });
    expect((await createSigningSecret(server.url, 'wake', { key: secret })).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  const map = (tag: string, image: string) => mapImage(server.url, 'wake', { stream: 'app', tag, image, repository: 'quay.io/acme/app' });

  it('delivers each move long before the next poll', async () => {
    await createTrigger(server.url, 'wake', 'follows-latest', triggerSpec('app:latest', { kind: 'Build', name: 'b' }, rx.url('/latest')));
    await map('latest', digest('a'));
    const [first] = await rx.waitFor('/latest', 1, 15000);
    expect(first!.json.data.new.digest).toBe(digest('a'));
    await map('latest', digest('b'));
    const got = await rx.waitFor('/latest', 2, 15000);
    expect(got[1]!.json.data.new.digest).toBe(digest('b'));
  }, 60000);

  it('fires a trigger created after the move (its evaluation request wakes the relay too)', async () => {
    await map('stable', digest('c'));
    await createTrigger(server.url, 'wake', 'follows-stable', triggerSpec('app:stable', { kind: 'Build', name: 'b' }, rx.url('/stable')));
    const [got] = await rx.waitFor('/stable', 1, 15000);
    expect(got!.json.data.new.digest).toBe(digest('c'));
  }, 60000);
});
