import { call } from '@app/testing';
import { digestOf, MediaTypes, OciBaseImageAnnotations } from '@app/registry';
import { registryStackFixture, settledPush, waitFor } from './ingest-harness';
import { describeWithRegistry, skopeoCopy } from './support/registry';

const NS = 'unstorable';

/**
 * Text Postgres jsonb cannot hold: a lone UTF-16 surrogate (`\ud800`, which Go's decoder reads as
 * U+FFFD) and NUL (`\u0000`, which Go keeps). openshift-apiserver records such a push; so must
 * ingestion, with U+FFFD in place of each (the closest jsonb can hold).
 */
describeWithRegistry('registry content holding lone surrogates or NUL (real docker-registry)', () => {
  const fixture = registryStackFixture();
  const api = () => fixture.stack().api;

  const tagImage = async (stream: string, tag: string) => {
    const s = (await call('GET', `${api().base}/namespaces/${NS}/imagestreams/${stream}`)).body;
    const items = (s?.status?.tags ?? []).find((t: { tag: string }) => t.tag === tag)?.items ?? [];
    return items[0]?.image as string | undefined;
  };

  it('a push whose config and manifest annotations hold them is recorded and tagged, each replaced by U+FFFD', async () => {
    const built = await fixture.layout().addImage('odd-text', {
      seed: 'unstorable-text',
      env: ['A=\ud800', 'B=x\u0000y', 'OK=\ud83d\udc33'],
      labels: { k: 'a\u0000b', ['lone\udc00key']: 'v' },
      cmd: ['/bin/echo', '\u0000'],
      extraTopLevel: { author: 'nul\u0000author', comment: 'half \udbff' },
      annotations: { [OciBaseImageAnnotations.name]: 'example.com/base\u0000:1', [OciBaseImageAnnotations.digest]: 'sha256:\ud800' },
    });
    // The blobs say `\ud800` and `\u0000` as JSON escapes, as a Go or JS writer puts them.
    expect(built.config.toString('utf8')).toContain('A=\\ud800');
    expect(built.config.toString('utf8')).toContain('a\\u0000b');
    await skopeoCopy(fixture.layout().dir, 'odd-text', `${fixture.stack().registry!.host}/${NS}/odd:v1`);

    // Was: ignored, "the request holds a value that cannot be stored: … unsupported Unicode escape sequence".
    expect(await settledPush(fixture.stack(), `${NS}/odd`)).toEqual({ state: 'processed', reason: null });
    expect(await waitFor('odd:v1', () => tagImage('odd', 'v1'))).toBe(built.manifestDigest);
    const img = (await call('GET', `${api().base}/images/${built.manifestDigest}`)).body;
    expect(img.dockerImageManifestMediaType).toBe(MediaTypes.ociManifest);
    expect(img.dockerImageMetadata.Id).toBe(built.configDigest);
    expect(img.dockerImageMetadata.Author).toBe('nul\uFFFDauthor');
    expect(img.dockerImageMetadata.Comment).toBe('half \uFFFD');
    expect(img.dockerImageMetadata.Config.Env).toEqual(['A=\uFFFD', 'B=x\uFFFDy', 'OK=\ud83d\udc33']);
    expect(img.dockerImageMetadata.Config.Labels).toEqual({ k: 'a\uFFFDb', ['lone\uFFFDkey']: 'v' });
    expect(img.dockerImageMetadata.Config.Cmd).toEqual(['/bin/echo', '\uFFFD']);
    expect(img.metadata.annotations).toMatchObject({
      [OciBaseImageAnnotations.name]: 'example.com/base\uFFFD:1',
      [OciBaseImageAnnotations.digest]: 'sha256:\uFFFD',
    });
    // The ImageStreamTag view shows the same document.
    const istag = await call('GET', `${api().base}/namespaces/${NS}/imagestreamtags/odd:v1`);
    expect(istag.body.image.dockerImageMetadata).toEqual(img.dockerImageMetadata);
  });

  describe('the API: Image create and ImageStreamMapping with such a config', () => {
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['A=\ud800'], Labels: { k: 'a\u0000b' } } });
    /** An Image with a manifest and that config, as `oc` or the integrated registry sends it. */
    const image = (seed: string) => {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: digestOf(config), size: Buffer.byteLength(config) },
        layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: digestOf(seed), size: 10 }],
      });
      const name = digestOf(manifest);
      return { metadata: { name }, dockerImageReference: `example.com/${NS}/api@${name}`, dockerImageManifest: manifest, dockerImageConfig: config };
    };

    it('the metadata derived from the config holds U+FFFD in their place (not a 5xx)', async () => {
      // Was: 400 "the request holds a value that cannot be stored: unsupported Unicode escape sequence".
      const created = await call('POST', `${api().base}/images`, image('created'));
      expect(created.status).toBe(201);
      expect(created.body.dockerImageMetadata.Config).toEqual({ Env: ['A=\uFFFD'], Labels: { k: 'a\uFFFDb' } });

      expect((await call('POST', `${api().base}/namespaces/${NS}/imagestreams`, { metadata: { name: 'api' } })).status).toBe(201);
      const mapped = await call('POST', `${api().base}/namespaces/${NS}/imagestreammappings`, {
        metadata: { name: 'api', namespace: NS },
        tag: 'v1',
        image: image('mapped'),
      });
      expect(mapped.status).toBe(201);
      const istag = await call('GET', `${api().base}/namespaces/${NS}/imagestreamtags/api:v1`);
      expect(istag.body.image.dockerImageMetadata.Config).toEqual({ Env: ['A=\uFFFD'], Labels: { k: 'a\uFFFDb' } });
    });

    it('a NUL sent in a field itself is refused with 400; a lone surrogate there becomes U+FFFD', async () => {
      const plain = (seed: string, annotations: Record<string, string>) => ({
        metadata: { name: digestOf(seed), annotations },
        dockerImageReference: `example.com/${NS}/api@${digestOf(seed)}`,
      });
      const nul = await call('POST', `${api().base}/images`, plain('nul-field', { a: 'x\u0000' }));
      expect([nul.status, nul.body.reason, nul.body.message]).toEqual([400, 'BadRequest', 'the request body holds a NUL character (\\u0000), which cannot be stored']);
      const mapped = await call('POST', `${api().base}/namespaces/${NS}/imagestreammappings`, {
        metadata: { name: 'api', namespace: NS },
        tag: 'v2',
        image: plain('nul-mapping', { a: 'x\u0000' }),
      });
      expect([mapped.status, mapped.body.reason]).toEqual([400, 'BadRequest']);
      const surrogate = await call('POST', `${api().base}/images`, plain('lone', { a: 'x\ud800' }));
      expect([surrogate.status, surrogate.body.metadata?.annotations]).toEqual([201, { a: 'x\uFFFD' }]);
    });
  });
});
