import { digestOf } from '@app/registry';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const schema2 = 'application/vnd.docker.distribution.manifest.v2+json';
const dockerList = 'application/vnd.docker.distribution.manifest.list.v2+json';
const gzip = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const blobStored = { 'image.openshift.io/manifestBlobStored': 'true' };

/** A schema2 image with real digests: raw manifest and config, and the manifest's digest (the image name). */
function schema2Image(seed: string) {
  const config = JSON.stringify({
    created: '2025-02-01T09:58:12Z',
    architecture: 'amd64',
    os: 'linux',
    config: { User: '1001', ExposedPorts: { '8080/tcp': {} }, Cmd: ['/usr/bin/run'], Labels: { seed } },
  });
  const layers = [
    { mediaType: gzip, digest: digestOf(`${seed}-base`), size: 300 },
    { mediaType: gzip, digest: digestOf(`${seed}-top`), size: 200 },
  ];
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: schema2,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: digestOf(config), size: config.length },
    layers,
  });
  return { name: digestOf(manifest), manifest, config, configDigest: digestOf(config), layers, size: config.length + 500 };
}

/** Image metadata derived from the manifest (reference §3.1, §5.14) and the imagesignatures resource (§3.2, §6). */
describe('Image metadata from the manifest, Image updates, imagesignatures', () => {
  let api: TestApi;
  const images = () => `${api.base}/images`;
  const image = (name: string) => `${api.base}/images/${name}`;
  const create = async (body: Record<string, unknown>) => {
    const res = await call('POST', images(), body);
    expect(res.status).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  describe('create derives metadata (InternalImageWithMetadata)', () => {
    it('POST images: layers, DockerImage metadata from the config, Size, layer order, media type', async () => {
      const img = schema2Image('create');
      const res = await create({
        metadata: { name: img.name },
        dockerImageReference: `quay.io/x/app@${img.name}`,
        dockerImageManifest: img.manifest,
        dockerImageConfig: img.config,
      });
      expect(res).toMatchObject({
        metadata: { name: img.name, annotations: { 'image.openshift.io/dockerLayersOrder': 'ascending' } },
        dockerImageMetadata: {
          kind: 'DockerImage',
          apiVersion: 'image.openshift.io/1.0',
          Id: img.configDigest,
          Created: '2025-02-01T09:58:12Z',
          Config: { User: '1001', ExposedPorts: { '8080/tcp': {} }, Cmd: ['/usr/bin/run'] },
          Architecture: 'amd64',
          Size: img.size,
        },
        dockerImageMetadataVersion: '1.0',
        dockerImageManifestMediaType: schema2,
        dockerImageLayers: img.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: gzip })),
        dockerImageManifest: img.manifest,
        dockerImageConfig: img.config,
      });
      expect((await call('GET', image(img.name))).body.dockerImageMetadata.Id).toBe(img.configDigest);
    });

    it('empty omitempty lists and maps are left out, as Go encodes the Image (create, update, embedded signatures, mapping)', async () => {
      const img = schema2Image('empties');
      const signature = { metadata: { name: `${img.name}@s1`, labels: {} }, type: 'atomic', content: 'AQID', conditions: [], signedClaims: {}, imageIdentity: '' };
      const created = await create({ metadata: { name: img.name }, dockerImageReference: `quay.io/x/app@${img.name}`, signatures: [signature], dockerImageSignatures: [] });
      expect(created).not.toHaveProperty('dockerImageSignatures');
      expect(created.signatures).toEqual([{ metadata: { name: `${img.name}@s1` }, type: 'atomic', content: 'AQID' }]);
      const emptied = await call('PUT', image(img.name), { ...created, signatures: [] });
      expect(emptied.status).toBe(200);
      expect(emptied.body).not.toHaveProperty('signatures');
      expect((await call('GET', image(img.name))).body).not.toHaveProperty('signatures');
      const mapped = schema2Image('empties-mapped');
      expect((await call('POST', `${api.url}/apis/image.openshift.io/v1/namespaces/empties/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
      const mapping = await call('POST', `${api.url}/apis/image.openshift.io/v1/namespaces/empties/imagestreammappings`, {
        metadata: { name: 'app' },
        tag: 'latest',
        image: { metadata: { name: mapped.name }, dockerImageReference: `quay.io/x/app@${mapped.name}`, dockerImageSignatures: [], signatures: [] },
      });
      expect(mapping.status).toBe(201);
      const stored = (await call('GET', image(mapped.name))).body;
      expect(stored).not.toHaveProperty('dockerImageSignatures');
      expect(stored).not.toHaveProperty('signatures');
    });

    it('with manifestBlobStored the raw manifest and config are derived from, then dropped', async () => {
      const img = schema2Image('stored');
      await create({
        metadata: { name: img.name, annotations: blobStored },
        dockerImageReference: `quay.io/x/app@${img.name}`,
        dockerImageManifest: img.manifest,
        dockerImageConfig: img.config,
      });
      const got = (await call('GET', image(img.name))).body;
      expect(got.dockerImageMetadata).toMatchObject({ Id: img.configDigest, Size: img.size });
      expect(got.dockerImageLayers).toHaveLength(2);
      expect(got.dockerImageManifest).toBeUndefined();
      expect(got.dockerImageConfig).toBeUndefined();
    });

    it('a manifest list sent with its media type gets its children, Id = name and Created', async () => {
      const child = schema2Image('child');
      const list = JSON.stringify({
        schemaVersion: 2,
        mediaType: dockerList,
        manifests: [{ mediaType: schema2, digest: child.name, size: child.manifest.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } }],
      });
      const name = digestOf(list);
      const res = await create({ metadata: { name, annotations: blobStored }, dockerImageReference: `quay.io/x/app@${name}`, dockerImageManifest: list, dockerImageManifestMediaType: dockerList });
      expect(res.dockerImageManifests).toEqual([
        { digest: child.name, mediaType: schema2, manifestSize: child.manifest.length, architecture: 'arm64', os: 'linux', variant: 'v8' },
      ]);
      expect(res.dockerImageManifestMediaType).toBe(dockerList);
      expect(res.dockerImageMetadata.Id).toBe(name);
      expect(res.dockerImageMetadata.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(res.dockerImageLayers).toBeUndefined();
    });

    it('POST imagestreammappings derives the Image it creates', async () => {
      expect((await call('POST', `${api.base}/namespaces/m/imagestreams`, { metadata: { name: 'app' }, spec: {} })).status).toBe(201);
      const img = schema2Image('mapping');
      const res = await call('POST', `${api.base}/namespaces/m/imagestreammappings`, {
        metadata: { name: 'app' },
        tag: 'latest',
        image: {
          metadata: { name: img.name, annotations: blobStored },
          dockerImageReference: `quay.io/x/app@${img.name}`,
          dockerImageManifest: img.manifest,
          dockerImageConfig: img.config,
        },
      });
      expect(res.status).toBe(201);
      const got = (await call('GET', image(img.name))).body;
      expect(got.dockerImageMetadata).toMatchObject({ Id: img.configDigest, Architecture: 'amd64', Size: img.size });
      expect(got.dockerImageLayers.map((l: { name: string }) => l.name)).toEqual(img.layers.map((l) => l.digest));
      const istag = (await call('GET', `${api.base}/namespaces/m/imagestreamtags/app:latest`)).body;
      expect(istag.image.dockerImageMetadata.Id).toBe(img.configDigest);
    });

    it('a schema 1 manifest: layers base first from fsLayers (sizes from history), schema1 media type, metadata from the newest v1Compatibility', async () => {
      const x = 'application/vnd.docker.container.image.rootfs.diff+x-gtar';
      const manifest = JSON.stringify({
        schemaVersion: 1,
        name: 'library/busybox',
        tag: 'latest',
        architecture: 'amd64',
        fsLayers: [{ blobSum: digestOf('s1-top') }, { blobSum: digestOf('s1-base') }],
        history: [
          {
            v1Compatibility: JSON.stringify({
              id: 'f1b5',
              parent: 'a0c3',
              created: '2016-03-01T12:34:56.789Z',
              container: 'c1',
              container_config: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'] },
              docker_version: '1.9.1',
              config: { Cmd: ['sh'] },
              architecture: 'amd64',
              os: 'linux',
            }),
          },
          { v1Compatibility: JSON.stringify({ id: 'a0c3', created: '2016-03-01T12:34:50Z', size: 1113 }) },
        ],
        signatures: [{ header: { alg: 'ES256' }, signature: 'c2ln', protected: 'cHJvdA' }],
      });
      const name = digestOf(manifest);
      const res = await create({ metadata: { name }, dockerImageReference: `docker.io/library/busybox@${name}`, dockerImageManifest: manifest });
      expect(res).toMatchObject({
        metadata: { name, annotations: { 'image.openshift.io/dockerLayersOrder': 'ascending' } },
        dockerImageManifestMediaType: 'application/vnd.docker.distribution.manifest.v1+json',
        dockerImageLayers: [
          { name: digestOf('s1-base'), size: 1113, mediaType: x },
          { name: digestOf('s1-top'), size: 0, mediaType: x },
        ],
      });
      expect(res.dockerImageMetadata).toEqual({
        kind: 'DockerImage',
        apiVersion: 'image.openshift.io/1.0',
        Id: 'f1b5',
        Parent: 'a0c3',
        Created: '2016-03-01T12:34:56Z',
        Container: 'c1',
        ContainerConfig: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'] },
        DockerVersion: '1.9.1',
        Config: { Cmd: ['sh'] },
        Architecture: 'amd64',
        Size: 1113,
      });
    });

    it('a manifest that does not parse is ignored, as upstream: the image is stored as sent', async () => {
      const name = `sha256:${'e'.repeat(64)}`;
      const res = await create({ metadata: { name }, dockerImageReference: `quay.io/x/app@${name}`, dockerImageManifest: '{not json', dockerImageConfig: '{}' });
      expect(res.dockerImageLayers).toBeUndefined();
      expect(res.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} });
    });

    it('dockerImageManifests: an absent manifestSize is 0 (Go zero value); a negative one is 422 on `size`, as upstream names it', async () => {
      const entry = { digest: `sha256:${'1'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', architecture: 'amd64', os: 'linux' };
      const name = `sha256:${'2'.repeat(64)}`;
      const res = await create({ metadata: { name }, dockerImageReference: `quay.io/x/app@${name}`, dockerImageManifests: [entry] });
      expect(res.dockerImageManifests).toEqual([{ ...entry, manifestSize: 0 }]);
      const negative = `sha256:${'3'.repeat(64)}`;
      const bad = await call('POST', `${api.base}/images`, { metadata: { name: negative }, dockerImageReference: `quay.io/x/app@${negative}`, dockerImageManifests: [{ ...entry, manifestSize: -1 }] });
      expect(bad.status).toBe(422);
      expect(bad.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: -1: manifest size cannot be negative', field: 'dockerImageManifests[0].size' }]);
      const both = `sha256:${'5'.repeat(64)}`;
      const layers = [
        { name: `sha256:${'6'.repeat(64)}`, size: 12, mediaType: gzip },
        { name: `sha256:${'7'.repeat(64)}`, size: 0, mediaType: '' },
      ];
      const mixed = await call('POST', `${api.base}/images`, { metadata: { name: both }, dockerImageReference: `quay.io/x/app@${both}`, dockerImageManifests: [{ ...entry, manifestSize: 5 }], dockerImageLayers: layers });
      expect(mixed.status).toBe(422);
      // Upstream prints the offending layers as Go's %#v of its internal type.
      expect(mixed.body.details.causes).toEqual([
        {
          reason: 'FieldValueInvalid',
          field: 'dockerImageLayers',
          message:
            `Invalid value: []image.ImageLayer{image.ImageLayer{Name:"${layers[0]!.name}", LayerSize:12, MediaType:"${gzip}"}, ` +
            `image.ImageLayer{Name:"${layers[1]!.name}", LayerSize:0, MediaType:""}}: dockerImageLayers should not be set when dockerImageManifests is set`,
        },
      ]);
    });

    it('dockerImageManifests media types: `.` and `+` only in the subtype (upstream imageMediaTypeRegexp)', async () => {
      const entry = { digest: `sha256:${'1'.repeat(64)}`, architecture: 'amd64', os: 'linux' };
      const name = `sha256:${'4'.repeat(64)}`;
      const res = await call('POST', `${api.base}/images`, {
        metadata: { name },
        dockerImageReference: `quay.io/x/app@${name}`,
        dockerImageManifests: [{ ...entry, mediaType: 'vnd.example+x/manifest' }, { ...entry, mediaType: 'foobar' }],
      });
      expect(res.status).toBe(422);
      expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['dockerImageManifests[0].mediaType', 'dockerImageManifests[1].mediaType']);
    });
  });

  describe('update (PrepareForUpdate)', () => {
    it('a manifest hashing to the image name is accepted and metadata derived; a config the manifest does not name is not', async () => {
      const img = schema2Image('update');
      const created = await create({ metadata: { name: img.name }, dockerImageReference: `quay.io/x/app@${img.name}`, dockerImageManifestMediaType: schema2 });
      expect(created.dockerImageLayers).toBeUndefined();
      const wrongConfig = await call('PUT', image(img.name), { ...created, dockerImageManifest: img.manifest, dockerImageConfig: '{"architecture":"s390x"}' });
      expect(wrongConfig.status).toBe(200);
      expect(wrongConfig.body.dockerImageManifest).toBe(img.manifest);
      expect(wrongConfig.body.dockerImageConfig).toBeUndefined();
      expect(wrongConfig.body.dockerImageLayers).toHaveLength(2);
      const res = await call('PUT', image(img.name), { ...wrongConfig.body, dockerImageConfig: img.config });
      expect(res.status).toBe(200);
      expect(res.body.dockerImageConfig).toBe(img.config);
      expect(res.body.dockerImageMetadata).toMatchObject({ Id: img.configDigest, Architecture: 'amd64', Size: img.size });
      const again = await call('PUT', image(img.name), { ...res.body, dockerImageConfig: '{"architecture":"s390x"}' });
      expect(again.body.dockerImageConfig).toBe(img.config);
      expect(again.body.metadata.resourceVersion).toBe(res.body.metadata.resourceVersion);
    });

    it('a manifest that does not hash to the image name is not stored', async () => {
      const img = schema2Image('mismatch');
      const other = schema2Image('other');
      const created = await create({ metadata: { name: img.name }, dockerImageReference: `quay.io/x/app@${img.name}`, dockerImageManifestMediaType: schema2 });
      const res = await call('PUT', image(img.name), { ...created, dockerImageManifest: other.manifest, dockerImageConfig: other.config });
      expect(res.status).toBe(200);
      expect(res.body.dockerImageManifest).toBeUndefined();
      expect(res.body.dockerImageConfig).toBeUndefined();
      expect(res.body.dockerImageLayers).toBeUndefined();
    });

    it('schema1 signatures: stored ones stay, an image stored without any takes the update\'s (upstream copies only non-nil old ones)', async () => {
      const name = digestOf('schema1-signatures');
      const created = await create({ metadata: { name }, dockerImageReference: `quay.io/x/app@${name}` });
      expect(created.dockerImageSignatures).toBeUndefined();
      const added = await call('PUT', image(name), { ...created, dockerImageSignatures: ['c2lnLTE='] });
      expect(added.status).toBe(200);
      expect(added.body.dockerImageSignatures).toEqual(['c2lnLTE=']);
      const changed = await call('PUT', image(name), { ...added.body, dockerImageSignatures: ['c2lnLTI='] });
      expect(changed.status).toBe(200);
      expect(changed.body.dockerImageSignatures).toEqual(['c2lnLTE=']);
      const removed = await call('PUT', image(name), { ...changed.body, dockerImageSignatures: [] });
      expect(removed.body.dockerImageSignatures).toEqual(['c2lnLTE=']);
    });
  });

  describe('imagesignatures', () => {
    const sigs = () => `${api.base}/imagesignatures`;
    let name: string;
    beforeAll(async () => {
      name = schema2Image('signed').name;
      await create({ metadata: { name }, dockerImageReference: `quay.io/x/app@${name}` });
    });

    it('is in discovery (cluster-scoped; create, delete) and in OpenAPI', async () => {
      const res = await call('GET', `${api.url}/apis/image.openshift.io/v1`);
      const entry = res.body.resources.find((r: { name: string }) => r.name === 'imagesignatures');
      expect(entry).toEqual({ name: 'imagesignatures', singularName: 'imagesignature', namespaced: false, kind: 'ImageSignature', verbs: ['create', 'delete'] });
      const root = await call('GET', `${api.url}/openapi/v3`);
      const doc = (await call('GET', `${api.url}${root.body.paths['apis/image.openshift.io/v1'].serverRelativeURL}`)).body;
      expect(doc.paths['/apis/image.openshift.io/v1/imagesignatures'].post['x-kubernetes-group-version-kind']).toEqual({ group: 'image.openshift.io', kind: 'ImageSignature', version: 'v1' });
      expect(doc.paths['/apis/image.openshift.io/v1/imagesignatures/{name}'].delete).toBeDefined();
      expect(doc.components.schemas['com.github.openshift.api.image.v1.ImageSignature']['x-kubernetes-group-version-kind']).toEqual([
        { group: 'image.openshift.io', kind: 'ImageSignature', version: 'v1' },
      ]);
    });

    it('generateName: a signature takes it as its name (the strategy\'s GenerateName returns the base); a mapping gets the random suffix, so it finds no stream (404)', async () => {
      const generated = await call('POST', sigs(), { metadata: { generateName: `${name}@gen` }, type: 'AtomicImageV1', content: Buffer.from('generated').toString('base64') });
      expect([generated.status, generated.body.metadata?.name]).toEqual([201, `${name}@gen`]);
      expect((await call('DELETE', `${sigs()}/${name}@gen`)).status).toBe(200);
      const mapping = await call('POST', `${api.base}/namespaces/gen/imagestreammappings`, {
        metadata: { generateName: 'app' },
        tag: 'v1',
        image: { metadata: { name }, dockerImageReference: `quay.io/x/app@${name}` },
      });
      expect(mapping.status).toBe(404);
      expect(mapping.body.message).toMatch(/"app[bcdfghjklmnpqrstvwxz2456789]{5}" not found$/);
    });

    it('POST adds the signature to the Image (server fields cleared); 409 for a taken name or content; 404 without the Image', async () => {
      const res = await call('POST', sigs(), {
        kind: 'ImageSignature',
        apiVersion: 'image.openshift.io/v1',
        metadata: { name: `${name}@sig1` },
        type: 'AtomicImageV1',
        content: Buffer.from('blob-1').toString('base64'),
        imageIdentity: 'forged',
        conditions: [{ type: 'Trusted', status: 'True' }, { type: 'ForImage', status: 'True' }],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'ImageSignature', apiVersion: 'image.openshift.io/v1', metadata: { name: `${name}@sig1` }, type: 'AtomicImageV1' });
      expect(res.body.imageIdentity).toBeUndefined();
      expect(res.body.conditions).toBeUndefined();
      const stored = (await call('GET', image(name))).body;
      expect(stored.signatures).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: `${name}@sig1` }), content: Buffer.from('blob-1').toString('base64') })]);

      const sameName = await call('POST', sigs(), { metadata: { name: `${name}@sig1` }, type: 'AtomicImageV1', content: Buffer.from('other').toString('base64') });
      expect(sameName.status).toBe(409);
      expect(sameName.body).toMatchObject({ reason: 'AlreadyExists', message: `imageSignatures.image.openshift.io "${name}@sig1" already exists` });
      const sameContent = await call('POST', sigs(), { metadata: { name: `${name}@sig2` }, type: 'AtomicImageV1', content: Buffer.from('blob-1').toString('base64') });
      expect(sameContent.status).toBe(409);

      const missing = `sha256:${'9'.repeat(64)}`;
      const noImage = await call('POST', sigs(), { metadata: { name: `${missing}@s` }, type: 'AtomicImageV1', content: 'YQ==' });
      expect(noImage.status).toBe(404);
      expect(noImage.body.message).toBe(`images.image.openshift.io "${missing}" not found`);
    });

    it('POST validates the signature (422 with field paths)', async () => {
      const res = await call('POST', sigs(), { metadata: { name: 'no-at-sign', labels: { a: 'b' } }, type: '', content: '' });
      expect(res.status).toBe(422);
      expect(res.body.details.kind).toBe('ImageSignature');
      expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['metadata.labels', 'metadata.name', 'type', 'content']);
      expect(res.body.details.causes[1].message).toBe('Invalid value: "no-at-sign": name must be of format <imageName>@<signatureName>');
    });

    it('content and dockerImageSignatures are []byte: text that is not standard base64 is a 400 decode error, nothing stored', async () => {
      const res = await call('POST', sigs(), { metadata: { name: `${name}@raw` }, type: 'AtomicImageV1', content: 'not base64' });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('ImageSignature in version "v1" cannot be handled as a ImageSignature: illegal base64 data at input byte 3');
      expect((await call('GET', image(name))).body.signatures ?? []).not.toContainEqual(expect.objectContaining({ metadata: { name: `${name}@raw` } }));
      const other = digestOf('bad-schema1-signature');
      const img = await call('POST', images(), { metadata: { name: other }, dockerImageReference: `quay.io/x/app@${other}`, dockerImageSignatures: ['c2ln', 'c2ln'.slice(0, 3)] });
      expect(img.status).toBe(400);
      expect(img.body.message).toBe('Image in version "v1" cannot be handled as a Image: illegal base64 data at input byte 0');
      expect((await call('GET', image(other))).status).toBe(404);
    });

    it('DELETE removes it; 404 when gone; 400 for a bad name; no GET', async () => {
      const res = await call('DELETE', `${sigs()}/${name}@sig1`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Success' });
      expect((await call('GET', image(name))).body.signatures).toBeUndefined();
      const again = await call('DELETE', `${sigs()}/${name}@sig1`);
      expect(again.status).toBe(404);
      expect(again.body.message).toBe(`imageSignatures.image.openshift.io "${name}@sig1" not found`);
      const bad = await call('DELETE', `${sigs()}/nosig`);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('ImageSignatures must be accessed with <imageName>@<signatureName>');
      expect((await call('GET', `${sigs()}/${name}@sig1`)).status).toBe(405);
    });

    it('Image create and update validate their signatures', async () => {
      const other = schema2Image('sig-validate').name;
      const bad = await call('POST', images(), {
        metadata: { name: other },
        dockerImageReference: `quay.io/x/app@${other}`,
        signatures: [{ metadata: { name: 'wrong' }, type: '', content: 'YQ==' }],
      });
      expect(bad.status).toBe(422);
      expect(bad.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['signatures[0].metadata.name', 'signatures[0].type']);
      const current = (await call('GET', image(name))).body;
      const update = await call('PUT', image(name), { ...current, signatures: [{ metadata: { name: `${name}@x` }, type: 'AtomicImageV1' }] });
      expect(update.status).toBe(422);
      expect(update.body.details.causes).toEqual([expect.objectContaining({ field: 'signatures[0].content', reason: 'FieldValueRequired' })]);
    });

    it('a mapping drops its image\'s signatures before validation (upstream mapping PrepareForCreate): 201, none stored', async () => {
      expect((await call('POST', `${api.base}/namespaces/m/imagestreams`, { metadata: { name: 'signed' } })).status).toBe(201);
      const img = schema2Image('mapping-signatures').name;
      const res = await call('POST', `${api.base}/namespaces/m/imagestreammappings`, {
        metadata: { name: 'signed' },
        tag: 'latest',
        image: { metadata: { name: img }, dockerImageReference: `quay.io/x/signed@${img}`, signatures: [{ metadata: { name: 'wrong' }, type: '' }] },
      });
      expect(res.status).toBe(201);
      expect((await call('GET', image(img))).body.signatures).toBeUndefined();
    });

    it('Image create keeps embedded signature conditions and validates them (upstream TestValidateImageSignature cases)', async () => {
      const trustedName = schema2Image('sig-trusted').name;
      const conditions = [
        { type: 'Trusted', status: 'True' },
        { type: 'ForImage', status: 'True' },
      ];
      const trusted = await call('POST', images(), {
        metadata: { name: trustedName },
        dockerImageReference: `quay.io/x/app@${trustedName}`,
        signatures: [{ metadata: { name: `${trustedName}@trusted` }, type: 'valid', content: 'YmxvYg==', conditions, imageIdentity: 'registry.company.ltd/app/core:v1.2' }],
      });
      expect(trusted.status).toBe(201);
      expect(trusted.body.signatures[0]).toMatchObject({ conditions, imageIdentity: 'registry.company.ltd/app/core:v1.2' });
      // The unset times are metav1.Time, which Go's encoder writes as null despite omitempty.
      expect(trusted.body.signatures[0].conditions).toEqual(conditions.map((c) => ({ ...c, lastProbeTime: null, lastTransitionTime: null })));
      expect((await call('GET', `${images()}/${trustedName}`)).body.signatures[0].conditions).toEqual(trusted.body.signatures[0].conditions);

      const noForImage = schema2Image('sig-noforimage').name;
      const missing = await call('POST', images(), {
        metadata: { name: noForImage },
        dockerImageReference: `quay.io/x/app@${noForImage}`,
        signatures: [{ metadata: { name: `${noForImage}@noforimage` }, type: 'invalid', content: 'YmxvYg==', conditions: [conditions[0]] }],
      });
      expect(missing.status).toBe(422);
      expect(missing.body.details.causes).toEqual([
        expect.objectContaining({ field: 'signatures[0].conditions', reason: 'FieldValueInvalid', message: expect.stringMatching(/missing "ForImage" condition type$/) }),
      ]);
    });
  });
});
