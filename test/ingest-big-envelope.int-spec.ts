import { createHash } from 'node:crypto';
import { call } from '@app/testing';
import { type IngestStack, putImage, startIngestStack, waitFor } from './ingest-harness';
import { type BuiltImage, OciLayout, registryUnavailableReason } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;

/** Layer references in the big manifest: its push (and pull) envelopes are about 1.4 MB with `includereferences`. */
const REFERENCES = 6000;
const API_BODY_LIMIT = 1024 * 1024;

/**
 * A registry resends an envelope it got a 4xx for, forever, and holds every later event of the
 * endpoint behind it (shared/reference/registry G7). An envelope of a manifest with many layers
 * (every descriptor listed under `references`) can be larger than MAX_REQUEST_BODY_BYTES: the
 * receiver has its own, larger limit, so that push and every one after it are recorded.
 */
describeRegistry('registry notification envelopes larger than the API body limit', () => {
  let stack: IngestStack;
  let layout: OciLayout;
  let base: BuiltImage;
  let after: BuiltImage;

  beforeAll(async () => {
    stack = await startIngestStack({ registry: true, overrides: { maxRequestBodyBytes: API_BODY_LIMIT } });
    layout = await OciLayout.create();
    base = await layout.addImage('base', { seed: 'big-envelope-base' });
    after = await layout.addImage('after', { seed: 'big-envelope-after' });
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });

  const tagImage = async (namespace: string, stream: string, tag: string) => {
    const r = await call('GET', `${stack.api.base}/namespaces/${namespace}/imagestreamtags/${stream}:${tag}`);
    return r.status === 200 ? (r.body.image.metadata.name as string) : null;
  };

  it('records a push whose envelope exceeds MAX_REQUEST_BODY_BYTES, and the pushes after it', async () => {
    const registry = stack.registry!;
    await putImage(registry.url, 'big/app', layout.dir, base, 'base');
    // The same layer listed REFERENCES times: distribution accepts it (every blob exists).
    const parsed = JSON.parse(base.manifest.toString('utf8')) as { layers: unknown[] };
    const manifest = Buffer.from(JSON.stringify({ ...parsed, layers: Array.from({ length: REFERENCES }, () => parsed.layers[0]) }));
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const put = await fetch(`${registry.url}/v2/big/app/manifests/huge`, { method: 'PUT', headers: { 'content-type': base.manifestMediaType }, body: manifest });
    expect(put.status).toBe(201);
    // A pull of it sends the references too.
    expect((await fetch(`${registry.url}/v2/big/app/manifests/huge`, { method: 'HEAD', headers: { accept: base.manifestMediaType } })).status).toBe(200);
    await putImage(registry.url, 'big/after', layout.dir, after, 'v1');

    await waitFor('the big push recorded', async () => (await tagImage('big', 'app', 'huge')) === digest, 60000);
    await waitFor('the push after it recorded', async () => (await tagImage('big', 'after', 'v1')) === after.manifestDigest, 60000);
    const image = (await call('GET', `${stack.api.base}/images/${digest}`)).body;
    expect(image.dockerImageLayers).toHaveLength(REFERENCES);
    // The API's own limit is unchanged.
    const tooBig = await call('POST', `${stack.api.base}/namespaces/big/imagestreams`, { metadata: { name: 'x', annotations: { a: 'x'.repeat(API_BODY_LIMIT) } } });
    expect(tooBig.status).toBe(413);
  }, 150000);
});
