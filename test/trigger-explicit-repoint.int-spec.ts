import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const A = digest('a');
const B = digest('b');
const C = digest('c');

/**
 * Explicit re-points reach the tags that follow the re-pointed tag (`latest` follows `v1`), and a
 * `generation: 0` write of a spec tag whose source still names the image the tag holds is one too.
 */
describe('an explicit re-point of a tag its aliases already follow', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const img = () => `${server.url}/apis/image.openshift.io/v1/namespaces/demo`;
  const map = (image: string) => mapImage(server.url, 'demo', { stream: 'web', tag: 'v1', image, repository: 'quay.io/demo/web' });
  const lastImage = async (name: string) => ((await call('GET', `${server.url}${TRIGGERS_API}/namespaces/demo/triggers/${name}`)).body as { status?: { lastTriggeredImageID?: string } }).status?.lastTriggeredImageID;
  const both = async (image: string) => {
    await pollUntil(async () => [await lastImage('t-v1'), await lastImage('t-latest')], (v) => v[0] === image && v[1] === image, 15000);
  };
  const quiet = () => new Promise((r) => setTimeout(r, 1500));
  const feed = async () =>
    ((await call('GET', `${server.url}${TRIGGERS_API}/namespaces/demo/tagchangeevents?limit=500`)).body as { items: { tag: string; from: string | null; to: string | null; cause: string }[] }).items;

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({});
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    const web = await call('POST', `${img()}/imagestreams`, { metadata: { name: 'web' }, spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] } });
    expect(web.status).toBe(201);
    await createTrigger(server.url, 'demo', 't-v1', triggerSpec('web:v1', { kind: 'Webhook', name: 't-v1' }, rx.url('/t-v1')));
    await createTrigger(server.url, 'demo', 't-latest', triggerSpec('web:latest', { kind: 'Webhook', name: 't-latest' }, rx.url('/t-latest')));
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  const repoint = (tag: Record<string, unknown>) =>
    call('PUT', `${img()}/imagestreamtags/web:v1`, { metadata: { name: 'web:v1', namespace: 'demo' }, tag: { name: 'v1', from: { kind: 'ImageStreamImage', name: `web@${A}` }, ...tag } });

  it('rolls back the dependents of the following tag too when it already holds the image', async () => {
    await map(A);
    await both(A);
    await map(B);
    await both(B);
    await map(A); // re-push: older, ignored by both
    await quiet();
    expect([await lastImage('t-v1'), await lastImage('t-latest')]).toEqual([B, B]);
    expect([200, 201]).toContain((await repoint({})).status);
    await both(A);
    const items = await feed();
    expect(items).toEqual(expect.arrayContaining([expect.objectContaining({ tag: 'latest', from: A, to: A, cause: 'spec-alias' })]));
  }, 60000);

  it('a generation 0 write of the unchanged source re-points the tag at the image it holds', async () => {
    await map(C);
    await both(C);
    await map(A); // re-push: ignored
    await quiet();
    expect([await lastImage('t-v1'), await lastImage('t-latest')]).toEqual([C, C]);
    // The same source again as it is: nothing (kubectl apply of an unchanged spec rolls nothing back).
    expect((await repoint({})).status).toBe(200);
    await quiet();
    expect(await lastImage('t-v1')).toBe(C);
    const res = await repoint({ generation: 0 });
    expect(res.status).toBe(200);
    await both(A);
  }, 60000);
});
