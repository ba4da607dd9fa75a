import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { describeWithRegistry, OciLayout, skopeoCopy } from './support/registry';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';

const NS = 'internal-name';

/**
 * The server started as the quick start starts it, with REGISTRY_URL and no
 * INTERNAL_REGISTRY_HOSTNAME: the registry it records pushes from is its integrated registry, named
 * by that URL's host, so a pushed stream's status.dockerImageRepository is where its images are
 * (as OpenShift's, always under the integrated registry's name), not "".
 */
describeWithRegistry('REGISTRY_URL names the integrated registry', () => {
  let stack: TriggerServerWithRegistry;
  let layout: OciLayout;

  beforeAll(async () => {
    stack = await startTriggerServerWithRegistry();
    layout = await OciLayout.create();
  });

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });

  it('a pushed stream has status.dockerImageRepository <registry host>/<ns>/<name>, and its tag events are in it', async () => {
    const built = await layout.addImage('v1', { seed: 'internal-name-v1' });
    await skopeoCopy(layout.dir, 'v1', `${stack.registry.host}/${NS}/app:v1`);
    const base = `${stack.server.url}/apis/image.openshift.io/v1/namespaces/${NS}`;
    const stream = await pollUntil(async () => (await call('GET', `${base}/imagestreams/app`)).body, (s) => Boolean(s?.status?.tags?.[0]?.items?.length), 20_000);
    const repository = `${stack.registry.host}/${NS}/app`;
    expect(stream.status.dockerImageRepository).toBe(repository);
    expect(stream.status.tags[0].items[0]).toMatchObject({ image: built.manifestDigest, dockerImageReference: `${repository}@${built.manifestDigest}` });
    // A stream created through the API is named the same way.
    const created = await call('POST', `${base}/imagestreams`, { metadata: { name: 'empty' } });
    expect(created.body.status.dockerImageRepository).toBe(`${stack.registry.host}/${NS}/empty`);
    // An ImageStreamMapping without a reference gets one in the integrated registry (upstream's REST).
    const mapped = await call('POST', `${base}/imagestreammappings`, {
      metadata: { name: 'empty' },
      tag: 'x',
      image: { metadata: { name: built.manifestDigest } },
    });
    expect(mapped.status).toBe(201);
    const tag = await call('GET', `${base}/imagestreamtags/empty:x`);
    expect(tag.body.image.dockerImageReference).toBe(`${stack.registry.host}/${NS}/empty@${built.manifestDigest}`);
  });
});
