import { call } from '@app/testing';
import { MediaTypes } from '@app/registry';
import { registryStackFixture, waitFor } from './ingest-harness';
import { type BuiltImage, describeWithRegistry, skopeoCopy } from './support/registry';

const NS = 'fidelity';

/**
 * What a push records in dockerImageMetadata, compared field for field with what openshift-apiserver
 * stores for the same push: the config decoded into docker10's DockerImageConfig by Go's
 * encoding/json, then encoded again as docker10.DockerImage (omitempty, metav1.Time).
 */
describeWithRegistry('pushed image metadata as openshift decodes the config (real docker-registry)', () => {
  const fixture = registryStackFixture();

  const image = async (digest: string) => (await call('GET', `${fixture.stack().api.base}/images/${digest}`)).body;
  const tagImage = async (stream: string, tag: string) => {
    const s = (await call('GET', `${fixture.stack().api.base}/namespaces/${NS}/imagestreams/${stream}`)).body;
    const items = (s?.status?.tags ?? []).find((t: { tag: string }) => t.tag === tag)?.items ?? [];
    return items[0]?.image as string | undefined;
  };
  const pushAndWait = async (ref: string, stream: string, tag: string, built: BuiltImage, format?: 'v2s2') => {
    await skopeoCopy(fixture.layout().dir, ref, `${fixture.stack().registry!.host}/${NS}/${stream}:${tag}`, format ? { format } : {});
    // skopeo converts the manifest for v2s2 (another digest) but keeps the config blob as it is.
    return waitFor(`${stream}:${tag}`, () => tagImage(stream, tag));
  };
  const sizeOf = (b: BuiltImage) => b.configSize + b.layers.reduce((n, l) => n + l.size, 0);

  it('docker schema2: every docker10.DockerConfig field kept with its type; fields docker10 lacks dropped', async () => {
    const built = await fixture.layout().addImage('full', {
      seed: 'fidelity-full',
      layerCount: 3,
      env: ['PATH=/usr/bin', 'MODE=full'],
      entrypoint: ['/usr/bin/app'],
      cmd: ['--serve'],
      labels: { 'io.k8s.display-name': 'full', version: '1' },
      user: '1001:0',
      workingDir: '/srv',
      exposedPorts: ['8080/tcp', '53/udp'],
      volumes: ['/data', '/cache'],
      created: '2024-05-01T12:00:00.123456789+02:00',
      extraConfig: {
        Hostname: 'builder',
        Memory: 1048576,
        CpuShares: 512,
        Cpuset: '0-1',
        AttachStdout: true,
        Tty: true,
        OpenStdin: true,
        PortSpecs: ['9000'],
        Dns: ['10.0.0.10'],
        VolumesFrom: 'other',
        NetworkDisabled: true,
        SecurityOpts: ['no-new-privileges'],
        OnBuild: ['RUN make'],
        // Not docker10.DockerConfig fields: gone after Go's decoding.
        StopSignal: 'SIGTERM',
        ArgsEscaped: true,
        Healthcheck: { Test: ['CMD', 'true'] },
        // Zero values: omitempty leaves them out.
        AttachStdin: false,
        Domainname: '',
      },
      extraTopLevel: {
        author: 'ci@example.com',
        docker_version: '24.0.5',
        container: 'c0ffee',
        container_config: { Hostname: 'c0ffee', Cmd: ['/bin/sh', '-c', '#(nop) CMD ["--serve"]'], Tty: false },
      },
    });
    const digest = await pushAndWait('full', 'full', 'v2s2', built, 'v2s2');
    const img = await image(digest);
    expect(img.dockerImageManifestMediaType).toBe(MediaTypes.dockerManifest);
    expect(img.dockerImageLayers).toEqual(built.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: MediaTypes.dockerLayer })));
    expect(img.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: built.configDigest,
      Created: '2024-05-01T10:00:00Z',
      Container: 'c0ffee',
      ContainerConfig: { Hostname: 'c0ffee', Cmd: ['/bin/sh', '-c', '#(nop) CMD ["--serve"]'] },
      DockerVersion: '24.0.5',
      Author: 'ci@example.com',
      Config: {
        Hostname: 'builder',
        User: '1001:0',
        Memory: 1048576,
        CpuShares: 512,
        Cpuset: '0-1',
        AttachStdout: true,
        PortSpecs: ['9000'],
        ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
        Tty: true,
        OpenStdin: true,
        Env: ['PATH=/usr/bin', 'MODE=full'],
        Cmd: ['--serve'],
        Dns: ['10.0.0.10'],
        Volumes: { '/data': {}, '/cache': {} },
        VolumesFrom: 'other',
        WorkingDir: '/srv',
        Entrypoint: ['/usr/bin/app'],
        NetworkDisabled: true,
        SecurityOpts: ['no-new-privileges'],
        OnBuild: ['RUN make'],
        Labels: { 'io.k8s.display-name': 'full', version: '1' },
      },
      Architecture: 'amd64',
      Size: sizeOf(built),
    });
  });

  it("Go's zero time is Created: null; config keys match case-insensitively, the last one winning", async () => {
    const built = await fixture.layout().addImage('zero', {
      seed: 'fidelity-zero',
      env: ['FROM_BUILDER=1'],
      extraConfig: { env: ['FROM_LOWER_CASE=1'] },
      extraTopLevel: { created: '0001-01-01T00:00:00Z', Architecture: 'arm64', architecture: 'ignored', ARCHITECTURE: 'arm64' },
    });
    const digest = await pushAndWait('zero', 'zero', 'v1', built);
    expect(digest).toBe(built.manifestDigest);
    const meta = (await image(digest)).dockerImageMetadata;
    expect(meta.Created).toBeNull();
    expect(meta.Architecture).toBe('arm64');
    expect(meta.Config.Env).toEqual(['FROM_LOWER_CASE=1']);
    // The istag view shows the same document.
    const istag = await call('GET', `${fixture.stack().api.base}/namespaces/${NS}/imagestreamtags/zero:v1`);
    expect(istag.body.image.dockerImageMetadata).toEqual(meta);
  });

  it('a config Go cannot decode: the image is still recorded and tagged, with layers and media type but no metadata', async () => {
    const notJson = await fixture.layout().addImage('notjson', { seed: 'fidelity-notjson', rawConfig: Buffer.from('not a JSON document') });
    const badTime = await fixture.layout().addImage('badtime', { seed: 'fidelity-badtime', extraTopLevel: { created: 'yesterday' } });
    // Typed in docker10's DockerImageConfig though the Image shows nothing of it.
    const badHistory = await fixture.layout().addImage('badhistory', { seed: 'fidelity-badhistory', extraTopLevel: { history: [{ created: '', created_by: 'RUN x' }] } });
    for (const [ref, built] of [
      ['notjson', notJson],
      ['badtime', badTime],
      ['badhistory', badHistory],
    ] as const) {
      // Was: retried INGEST_ATTEMPTS times, then failed; the tag never moved.
      expect(await pushAndWait(ref, 'odd', ref, built)).toBe(built.manifestDigest);
      const img = await image(built.manifestDigest);
      expect(img.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} });
      expect(img.dockerImageLayers).toEqual(built.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType })));
      expect(img.dockerImageManifestMediaType).toBe(MediaTypes.ociManifest);
      const row = await fixture.stack().pg.query(`SELECT state, outcome, attempts FROM registry_events WHERE repository = $1 AND tag = $2`, [`${NS}/odd`, ref]);
      expect(row.rows).toEqual([{ state: 'processed', outcome: 'tagged', attempts: 1 }]);
    }
  });
  it("an int64 field written as 1e3 or 1.0 fails Go's decode (strconv.ParseInt), so the image has no metadata", async () => {
    const cases = [
      ['memexp', '{"architecture":"amd64","os":"linux","config":{"Memory":1e3,"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[]}}'],
      ['cpufrac', '{"architecture":"amd64","os":"linux","container_config":{"CpuShares":1.0},"rootfs":{"type":"layers","diff_ids":[]}}'],
      ['sizebig', '{"architecture":"amd64","os":"linux","size":9223372036854775808,"rootfs":{"type":"layers","diff_ids":[]}}'],
    ] as const;
    for (const [ref, raw] of cases) {
      const built = await fixture.layout().addImage(ref, { seed: `fidelity-${ref}`, rawConfig: Buffer.from(raw) });
      // Was: Memory 1000 / CpuShares 1 recorded, Architecture amd64, as if Go had decoded it.
      expect(await pushAndWait(ref, 'ints', ref, built)).toBe(built.manifestDigest);
      const img = await image(built.manifestDigest);
      expect(img.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} });
      expect(img.dockerImageLayers).toEqual(built.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType })));
    }
    // A float outside the typed fields is skipped by Go, and so it is here.
    const fine = await fixture.layout().addImage('floatelsewhere', {
      seed: 'fidelity-floatelsewhere',
      rawConfig: Buffer.from('{"architecture":"amd64","os":"linux","x-ratio":1.5,"config":{"Memory":1000,"Env":["A=1e3"]},"rootfs":{"type":"layers","diff_ids":[]}}'),
    });
    await pushAndWait('floatelsewhere', 'ints', 'floatelsewhere', fine);
    const img = await image(fine.manifestDigest);
    expect(img.dockerImageMetadata.Config).toEqual({ Memory: 1000, Env: ['A=1e3'] });
    expect(img.dockerImageMetadata.Architecture).toBe('amd64');
  });
});
