import { fetchImage, MediaTypes, RegistryClient, RegistryNotFoundError } from '@app/registry';
import {
  type BuiltImage,
  type NotificationRecorder,
  OciLayout,
  type RegistryNotificationEvent,
  type RunningRegistry,
  deleteManifest,
  registryUnavailableReason,
  resolveTag,
  skopeoCopy,
  startNotificationRecorder,
  startRegistry,
} from './support/registry';

const skipReason = registryUnavailableReason();
// Visible in the test list when the tools are missing, instead of a silent pass.
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`registry harness tests skipped: ${skipReason}`);

const REPO = 'myproject/app';
const WEBHOOK_SECRET = 'Bearer harness-webhook-secret';

const isManifestPush = (tag: string | undefined, digest: string) => (e: RegistryNotificationEvent) =>
  e.action === 'push' &&
  e.target.digest === digest &&
  e.target.tag === tag &&
  e.target.mediaType !== 'application/octet-stream';

const layerEntries = (image: BuiltImage) =>
  image.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType }));

describeRegistry(`registry test harness${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let recorder: NotificationRecorder;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let client: RegistryClient;
  let single: BuiltImage;

  beforeAll(async () => {
    recorder = await startNotificationRecorder();
    registry = await startRegistry({
      notifyUrl: recorder.url,
      notifyHeaders: { Authorization: WEBHOOK_SECRET, 'X-Test-Env': ['test', 'second'] },
    });
    layout = await OciLayout.create();
    client = new RegistryClient({ baseUrl: registry.url, timeoutMs: 5000 });
    single = await layout.addImage('v1', {
      seed: 'harness-single',
      layerCount: 2,
      env: ['PATH=/usr/bin', 'APP_MODE=test'],
      entrypoint: ['/usr/bin/app'],
      cmd: ['--serve'],
      labels: { 'io.k8s.display-name': 'harness app', 'test.seed': 'harness-single' },
      user: '1001',
      workingDir: '/opt/app',
      exposedPorts: ['8080/tcp'],
      created: '2024-06-01T12:00:00Z',
    });
  });

  afterAll(async () => {
    await client?.close();
    await registry?.stop();
    await recorder?.close();
    await layout?.remove();
  });

  it('builds deterministic layouts: same seed, same digests; other seed, other digests', async () => {
    const again = await OciLayout.create();
    try {
      const same = await again.addImage('x', { seed: 'harness-single', layerCount: 1 });
      const same2 = await again.addImage('y', { seed: 'harness-single', layerCount: 1 });
      const other = await again.addImage('z', { seed: 'another-seed', layerCount: 1 });
      expect(same.manifestDigest).toBe(same2.manifestDigest);
      expect(other.manifestDigest).not.toBe(same.manifestDigest);
      expect(other.layers[0]?.diffId).not.toBe(same.layers[0]?.diffId);
    } finally {
      await again.remove();
    }
  });

  it('pushes an image and a second tag; the webhook sees blobs, then manifests with tags', async () => {
    await skopeoCopy(layout.dir, 'v1', `${registry.host}/${REPO}:v1`);
    await skopeoCopy(layout.dir, 'v1', `${registry.host}/${REPO}:latest`);

    const events = await recorder.waitFor(
      (all) =>
        all.some(isManifestPush('v1', single.manifestDigest)) &&
        all.some(isManifestPush('latest', single.manifestDigest)),
    );
    const v1 = events.find(isManifestPush('v1', single.manifestDigest))!;
    expect(v1.target).toMatchObject({
      mediaType: MediaTypes.ociManifest,
      size: single.manifestSize,
      repository: REPO,
      references: [
        { mediaType: MediaTypes.ociConfig, size: single.configSize, digest: single.configDigest },
        ...single.layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
      ],
    });
    const pushedBlobs = events.filter(
      (e) => e.action === 'push' && e.target.mediaType === 'application/octet-stream',
    );
    expect(pushedBlobs.map((e) => e.target.digest).sort()).toEqual(
      [single.configDigest, ...single.layers.map((l) => l.digest)].sort(),
    );

    const delivery = recorder.requests[0]!;
    expect(delivery.headers['authorization']).toBe(WEBHOOK_SECRET);
    expect(delivery.headers['x-test-env']).toBe('test, second');
    expect(delivery.headers['content-type']).toBe('application/vnd.docker.distribution.events.v1+json');

    await expect(resolveTag(registry.url, REPO, 'v1')).resolves.toBe(single.manifestDigest);
    await expect(resolveTag(registry.url, REPO, 'latest')).resolves.toBe(single.manifestDigest);
    await expect(resolveTag(registry.url, REPO, 'nope')).resolves.toBeNull();
  });

  it('reads the pushed image back exactly with RegistryClient + fetchImage', async () => {
    const { image, children } = await fetchImage(client, REPO, 'v1');
    expect(children).toEqual([]);
    expect(image.metadata.name).toBe(single.manifestDigest);
    expect(image.dockerImageReference).toBe(`${registry.host}/${REPO}@${single.manifestDigest}`);
    expect(image.dockerImageManifestMediaType).toBe(MediaTypes.ociManifest);
    expect(image.dockerImageManifest).toBe(single.manifest.toString());
    expect(image.dockerImageConfig).toBe(single.config.toString());
    expect(image.dockerImageLayers).toEqual(layerEntries(single));
    expect(image.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: single.configDigest,
      Created: '2024-06-01T12:00:00Z',
      ContainerConfig: {},
      Config: {
        User: '1001',
        ExposedPorts: { '8080/tcp': {} },
        Env: ['PATH=/usr/bin', 'APP_MODE=test'],
        Entrypoint: ['/usr/bin/app'],
        Cmd: ['--serve'],
        WorkingDir: '/opt/app',
        Labels: { 'io.k8s.display-name': 'harness app', 'test.seed': 'harness-single' },
      },
      Architecture: 'amd64',
      Os: 'linux',
      Size: single.configSize + single.layers.reduce((sum, l) => sum + l.size, 0),
    });
    await expect(client.headManifest(REPO, 'latest')).resolves.toBe(single.manifestDigest);
  });

  it('pushes a 2-platform OCI index: children by digest without tag, the index with its tag', async () => {
    const index = await layout.addIndex('multi', [
      { seed: 'harness-multi', architecture: 'amd64' },
      { seed: 'harness-multi', architecture: 'arm64', variant: 'v8', labels: { arch: 'arm64' } },
    ]);
    const [amd, arm] = index.images as [BuiltImage, BuiltImage];
    expect(amd.manifestDigest).not.toBe(arm.manifestDigest);
    await skopeoCopy(layout.dir, 'multi', `${registry.host}/${REPO}:multi`, { all: true });

    const events = await recorder.waitFor((all) => all.some(isManifestPush('multi', index.indexDigest)));
    expect(events.find(isManifestPush(undefined, amd.manifestDigest))).toBeDefined();
    expect(events.find(isManifestPush(undefined, arm.manifestDigest))).toBeDefined();
    expect(events.find(isManifestPush('multi', index.indexDigest))?.target).toMatchObject({
      mediaType: MediaTypes.ociIndex,
      references: [amd, arm].map((i) => ({
        mediaType: MediaTypes.ociManifest,
        size: i.manifestSize,
        digest: i.manifestDigest,
      })),
    });

    const { image, children } = await fetchImage(client, REPO, 'multi');
    expect(image.metadata.name).toBe(index.indexDigest);
    expect(image.dockerImageMetadata.Id).toBe(index.indexDigest);
    expect(image).not.toHaveProperty('dockerImageLayers');
    expect(image.dockerImageManifests).toEqual([
      {
        digest: amd.manifestDigest,
        mediaType: MediaTypes.ociManifest,
        manifestSize: amd.manifestSize,
        architecture: 'amd64',
        os: 'linux',
      },
      {
        digest: arm.manifestDigest,
        mediaType: MediaTypes.ociManifest,
        manifestSize: arm.manifestSize,
        architecture: 'arm64',
        os: 'linux',
        variant: 'v8',
      },
    ]);
    expect(children.map((c) => c.metadata.name)).toEqual([amd.manifestDigest, arm.manifestDigest]);
    expect(children.map((c) => c.dockerImageLayers)).toEqual([layerEntries(amd), layerEntries(arm)]);
    expect(
      children.map((c) => [
        c.dockerImageMetadata.Id,
        c.dockerImageMetadata.Architecture,
        c.dockerImageMetadata.Variant,
      ]),
    ).toEqual([
      [amd.configDigest, 'amd64', undefined],
      [arm.configDigest, 'arm64', 'v8'],
    ]);
    expect(children[1]?.dockerImageMetadata.Config?.Labels).toEqual({ arch: 'arm64' });
  });

  it('reads a Docker schema2 conversion (skopeo --format v2s2) of the same image', async () => {
    await skopeoCopy(layout.dir, 'v1', `${registry.host}/myproject/docker:v1`, { format: 'v2s2' });
    const { image } = await fetchImage(client, 'myproject/docker', 'v1');
    expect(image.dockerImageManifestMediaType).toBe(MediaTypes.dockerManifest);
    expect(image.metadata.name).not.toBe(single.manifestDigest);
    expect(image.dockerImageMetadata.Id).toBe(single.configDigest);
    expect(image.dockerImageLayers).toEqual(
      single.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: MediaTypes.dockerLayer })),
    );
  });

  it('deletes a manifest by digest: one delete event plus one per tag, then not found', async () => {
    await deleteManifest(registry.url, REPO, single.manifestDigest);
    const events = await recorder.waitFor(
      (all) => all.filter((e) => e.action === 'delete' && e.target.repository === REPO).length >= 3,
    );
    const deletes = events
      .filter((e) => e.action === 'delete' && e.target.repository === REPO)
      .map((e) => e.target);
    expect(deletes).toEqual(
      expect.arrayContaining([
        { digest: single.manifestDigest, repository: REPO },
        { repository: REPO, tag: 'v1' },
        { repository: REPO, tag: 'latest' },
      ]),
    );
    await expect(resolveTag(registry.url, REPO, 'v1')).resolves.toBeNull();
    await expect(client.headManifest(REPO, 'v1')).resolves.toBeNull();
    await expect(client.getManifest(REPO, 'v1')).rejects.toThrow(RegistryNotFoundError);
    await expect(client.getManifest(REPO, 'multi')).resolves.toMatchObject({
      mediaType: MediaTypes.ociIndex,
    });
  });
});
