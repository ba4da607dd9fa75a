import { call } from '@app/testing';
import { registryStackFixture, waitFor } from './ingest-harness';
import { describeWithRegistry, skopeoCopy } from './support/registry';

const NS = 'listitems';

/**
 * Images recorded from registry pushes look alike in a list whichever path created them: an index's
 * children are created as Images, the tagged index (and a single image) through an
 * ImageStreamMapping. kube-apiserver prints no kind/apiVersion on list items; a GET prints both.
 */
describeWithRegistry('Images recorded from pushes, listed', () => {
  const fixture = registryStackFixture();

  it('list items carry no kind/apiVersion, for mapped and child Images alike; GET shows both', async () => {
    const single = await fixture.layout().addImage('single', { seed: 'list-items-single' });
    const index = await fixture.layout().addIndex('index', [
      { seed: 'list-items-index', architecture: 'amd64' },
      { seed: 'list-items-index', architecture: 'arm64', variant: 'v8' },
    ]);
    await skopeoCopy(fixture.layout().dir, 'single', `${fixture.stack().registry!.host}/${NS}/app:single`);
    await skopeoCopy(fixture.layout().dir, 'index', `${fixture.stack().registry!.host}/${NS}/app:multi`, { all: true });
    const digests = [single.manifestDigest, index.indexDigest, ...index.images.map((i) => i.manifestDigest)].sort();
    const list = await waitFor('all images recorded', async () => {
      const res = await call('GET', `${fixture.stack().api.base}/images`);
      const names = (res.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();
      return digests.every((d) => names.includes(d)) ? res.body : null;
    });
    expect(list).toMatchObject({ kind: 'ImageList', apiVersion: 'image.openshift.io/v1' });
    for (const item of list.items) {
      expect(Object.keys(item)).not.toContain('kind');
      expect(Object.keys(item)).not.toContain('apiVersion');
    }
    for (const digest of digests) {
      expect((await call('GET', `${fixture.stack().api.base}/images/${digest}`)).body).toMatchObject({ kind: 'Image', apiVersion: 'image.openshift.io/v1' });
    }
    // An ImageStreamMapping whose image names its kind stores it the same way.
    const other = await fixture.layout().addImage('other', { seed: 'list-items-other' });
    const mapping = await call('POST', `${fixture.stack().api.base}/namespaces/${NS}/imagestreammappings`, {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStreamMapping',
      metadata: { name: 'app' },
      tag: 'mapped',
      image: {
        kind: 'Image',
        apiVersion: 'image.openshift.io/v1',
        metadata: { name: other.manifestDigest },
        dockerImageReference: `${fixture.stack().registry!.host}/${NS}/app@${other.manifestDigest}`,
      },
    });
    expect(mapping.status).toBe(201);
    const after = await call('GET', `${fixture.stack().api.base}/images?fieldSelector=metadata.name=${other.manifestDigest}`);
    expect(after.body.items).toHaveLength(1);
    expect(Object.keys(after.body.items[0])).not.toContain('kind');
  });
  it('an OCI index whose body leaves out mediaType: recorded as openshift-apiserver does (layer order ascending, no Id, no Created)', async () => {
    const index = await fixture.layout().addIndex(
      'nomediatype',
      [
        { seed: 'list-items-nomt', architecture: 'amd64' },
        { seed: 'list-items-nomt', architecture: 'arm64', variant: 'v8' },
      ],
      { omitMediaType: true },
    );
    expect(JSON.parse(index.index.toString('utf8'))).not.toHaveProperty('mediaType');
    await skopeoCopy(fixture.layout().dir, 'nomediatype', `${fixture.stack().registry!.host}/${NS}/nomt:x`, { all: true });
    const img = await waitFor('index image', async () => {
      const res = await call('GET', `${fixture.stack().api.base}/images/${index.indexDigest}`);
      return res.status === 200 ? res.body : null;
    });
    // InternalImageWithMetadata decides list-or-image by the body's own mediaType: without it the
    // index goes the single-image way (fillImageLayers: no layers, order ascending) and stops at the
    // missing config; PrepareForCreate still lists the children from the manifest.
    // Was: Id = the index digest, Created = when recorded, dockerLayersOrder "".
    expect(img.metadata.annotations['image.openshift.io/dockerLayersOrder']).toBe('ascending');
    expect(img.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} });
    expect(img.dockerImageManifestMediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(img.dockerImageManifests.map((m: { digest: string }) => m.digest)).toEqual(index.images.map((i) => i.manifestDigest));
    expect(img.dockerImageLayers).toBeUndefined();
    // The children are ordinary images.
    const child = (await call('GET', `${fixture.stack().api.base}/images/${index.images[0]!.manifestDigest}`)).body;
    expect(child.metadata.annotations['image.openshift.io/dockerLayersOrder']).toBe('ascending');
    expect(child.dockerImageMetadata.Id).toMatch(/^sha256:/);
  });
});
