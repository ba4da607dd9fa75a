import { call } from '@app/testing';
import { type IngestStack, settledPush, startIngestStack, waitFor } from './ingest-harness';
import { type BuiltImage, OciLayout, registryUnavailableReason, skopeoCopy } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`registry quota tests skipped: ${skipReason}`);

/**
 * Registry pushes meet the same admission as API writes (the integrated registry creates the
 * stream and maps the image through the API, and is denied): the worker settles the event as
 * `ignored` with the refusal, and nothing is written.
 */
describeRegistry('quota and limits on registry pushes', () => {
  let stack: IngestStack;
  let layout: OciLayout;
  let small: BuiltImage;

  const core = (ns: string, resource: string) => `${stack.api.url}/api/v1/namespaces/${ns}/${resource}`;
  const push = (dest: string) => skopeoCopy(layout.dir, 'small', `${stack.registry!.host}/${dest}`);
  const settled = (repository: string) => settledPush(stack, repository);

  beforeAll(async () => {
    stack = await startIngestStack({ registry: true });
    layout = await OciLayout.create();
    small = await layout.addImage('small', { seed: 'quota-small', layerCount: 1 });
  });
  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });

  it('a first push that would create a stream over the quota is refused; the stream is not created', async () => {
    await call('POST', core('rq-push', 'resourcequotas'), {
      metadata: { name: 'none' },
      spec: { hard: { 'openshift.io/imagestreams': '0' } },
    });
    await push('rq-push/app:1');
    const event = await settled('rq-push/app');
    expect(event.state).toBe('ignored');
    expect(event.reason).toContain(
      'imagestreams.image.openshift.io "app" is forbidden: exceeded quota: none, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=0, limited: openshift.io/imagestreams=0',
    );
    expect((await call('GET', `${stack.api.base}/namespaces/rq-push/imagestreams/app`)).status).toBe(404);
  });

  it('an image over a LimitRange openshift.io/Image max.storage is refused before anything is written', async () => {
    await call('POST', core('lr-push', 'limitranges'), {
      metadata: { name: 'tiny' },
      spec: { limits: [{ type: 'openshift.io/Image', max: { storage: '10' } }] },
    });
    await call('POST', `${stack.api.base}/namespaces/lr-push/imagestreams`, { metadata: { name: 'app' } });
    // The worker has no change feed: it sees new LimitRanges and ResourceQuotas within a second.
    await new Promise((r) => setTimeout(r, 1100));
    await push('lr-push/app:1');
    const event = await settled('lr-push/app');
    expect(event.state).toBe('ignored');
    expect(event.reason).toMatch(
      /imagestreammappings.image.openshift.io "app" is forbidden: requested usage of storage exceeds the maximum limit per openshift.io\/Image \(\d+ > 10\)/,
    );
    expect((await call('GET', `${stack.api.base}/images/${small.manifestDigest}`)).status).toBe(404);
    expect(
      (await call('GET', `${stack.api.base}/namespaces/lr-push/imagestreams/app`)).body.status.tags,
    ).toBeUndefined();
  });

  it('an image already stored (pushed to another namespace first) is admitted by its stored size: over max.storage it is refused too', async () => {
    const known = await layout.addImage('known', { seed: 'quota-known', layerCount: 1 });
    await skopeoCopy(layout.dir, 'known', `${stack.registry!.host}/lr-open/app:1`);
    expect((await settled('lr-open/app')).state).toBe('processed');
    const stored = await call('GET', `${stack.api.base}/images/${known.manifestDigest}`);
    expect(stored.body.dockerImageMetadata.Size).toBeGreaterThan(10);
    await call('POST', core('lr-known', 'limitranges'), {
      metadata: { name: 'tiny' },
      spec: { limits: [{ type: 'openshift.io/Image', max: { storage: '10' } }] },
    });
    await call('POST', `${stack.api.base}/namespaces/lr-known/imagestreams`, { metadata: { name: 'app' } });
    await new Promise((r) => setTimeout(r, 1100));
    await skopeoCopy(layout.dir, 'known', `${stack.registry!.host}/lr-known/app:1`);
    const event = await settled('lr-known/app');
    expect(event.state).toBe('ignored');
    expect(event.reason).toContain(
      `imagestreammappings.image.openshift.io "app" is forbidden: requested usage of storage exceeds the maximum limit per openshift.io/Image (${stored.body.dockerImageMetadata.Size} > 10)`,
    );
    expect((await call('GET', `${stack.api.base}/namespaces/lr-known/imagestreams/app`)).body.status.tags).toBeUndefined();
    // Within the limit, the stored image maps as before.
    await call('DELETE', core('lr-known', 'limitranges') + '/tiny');
    await new Promise((r) => setTimeout(r, 1100));
    await skopeoCopy(layout.dir, 'known', `${stack.registry!.host}/lr-known/app:2`);
    const tagged = await waitFor('lr-known/app:2 tagged', async () => {
      const istag = await call('GET', `${stack.api.base}/namespaces/lr-known/imagestreamtags/app:2`);
      return istag.status === 200 ? istag.body : null;
    });
    expect(tagged.image.metadata.name).toBe(known.manifestDigest);
  });

  it('an ImageStreamImport adding images over openshift.io/ImageStream max is refused (422, as the stream strategy upstream), nothing written', async () => {
    await push('isi-src/app:1');
    await call('POST', core('isi-limited', 'limitranges'), {
      metadata: { name: 'one-image' },
      spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '1' } }] },
    });
    const isi = (to: string, tag: string) => ({
      metadata: { name: to },
      spec: {
        import: true,
        images: [
          {
            from: { kind: 'DockerImage', name: `${stack.registry!.host}/isi-src/app:1` },
            to: { name: tag },
            importPolicy: { insecure: true },
          },
        ],
      },
    });
    const url = `${stack.api.base}/namespaces/isi-limited/imagestreamimports`;
    // One image is within the limit; the same image under another tag adds nothing.
    expect((await call('POST', url, isi('dst', 'v1'))).status).toBe(201);
    expect((await call('POST', url, isi('dst', 'v2'))).status).toBe(201);
    await call(
      'PATCH',
      core('isi-limited', 'limitranges') + '/one-image',
      { spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '0' } }] } },
      'application/merge-patch+json',
    );
    const refused = await call('POST', url, isi('fresh', 'v1'));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      'ImageStream.image.openshift.io "fresh" is invalid: []: Internal error: ImageStream.image.openshift.io "fresh" is forbidden: requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (1 > 0)',
    );
    expect((await call('GET', `${stack.api.base}/namespaces/isi-limited/imagestreams/fresh`)).status).toBe(
      404,
    );
  });
});
