import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const sourceForm = 'must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>';

/**
 * ImageStream strategy rules of openshift-apiserver (registry/imagestream/strategy.go) not
 * covered elsewhere: errors of spec tag sources (parseFromReference, tag resolution) come back
 * as one InternalError cause at `[]` wrapping `imagestreams "<n>" is invalid: …`, before the
 * field validation causes (Validate appends validateTagsAndLimits' error first). Observed on a
 * real cluster: `ImageStream.image.openshift.io "pet-battle-api" is invalid: []: Internal error:
 * imagestreams "pet-battle-api" is invalid: spec.tags[1.1.1].from.name: Invalid value: "…": must
 * be of the form …` (rht-labs/tech-exercise#349).
 */
describe('ImageStream strategy fidelity', () => {
  let api: TestApi;
  const ns = (n: string) => `${api.base}/namespaces/${n}`;
  const wrapped = (stream: string, inner: string) => ({
    reason: 'InternalError',
    field: '[]',
    message: `Internal error: imagestreams "${stream}" is invalid: ${inner}`,
  });

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('a source name with two separators is one wrapped cause, as on a real cluster', async () => {
    const name = 'image-registry.openshift-image-registry.svc:5000/redhat-test/pet-battle-api:1.1.1';
    const res = await call('POST', `${ns('form')}/imagestreams`, {
      metadata: { name: 'pet-battle-api' },
      spec: { tags: [{ name: '1.1.1', from: { kind: 'ImageStreamTag', name } }] },
    });
    expect(res.status).toBe(422);
    const inner = `spec.tags[1.1.1].from.name: Invalid value: "${name}": ${sourceForm}`;
    expect(res.body.message).toBe(`ImageStream.image.openshift.io "pet-battle-api" is invalid: []: Internal error: imagestreams "pet-battle-api" is invalid: ${inner}`);
    expect(res.body.details.causes).toEqual([wrapped('pet-battle-api', inner)]);
  });

  it('an unknown kind gets the wrapped source cause first, then the from.kind cause of validation', async () => {
    const res = await call('POST', `${ns('kind')}/imagestreams`, {
      metadata: { name: 'app' },
      spec: { tags: [{ name: 't', from: { kind: 'Foo', name: 'x' } }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      wrapped('app', `spec.tags[t].from.name: Invalid value: "x": ${sourceForm}`),
      { reason: 'FieldValueRequired', field: 'spec.tags[t].from.kind', message: "Required value: valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'" },
    ]);
  });

  it('a DockerImage source naming another namespace is refused as the tag verifier parses it (only streams live there); without a namespace it is fine', async () => {
    const res = await call('POST', `${ns('dockerns')}/imagestreams`, {
      metadata: { name: 'app' },
      spec: { tags: [{ name: 'd1', from: { kind: 'DockerImage', namespace: 'other', name: 'quay.io/a/b:1' } }] },
    });
    expect(res.status).toBe(422);
    const inner = `spec.tags[d1].from.name: Invalid value: "quay.io/a/b:1": ${sourceForm}`;
    expect(res.body.message).toBe(`ImageStream.image.openshift.io "app" is invalid: []: Internal error: imagestreams "app" is invalid: ${inner}`);
    expect((await call('GET', `${ns('dockerns')}/imagestreams/app`)).status).toBe(404);
    const own = await call('POST', `${ns('dockerns')}/imagestreams`, {
      metadata: { name: 'app' },
      spec: { tags: [{ name: 'd1', from: { kind: 'DockerImage', namespace: 'dockerns', name: 'quay.io/a/b:1' } }, { name: 'd2', from: { kind: 'DockerImage', name: 'quay.io/a/b:2' } }] },
    });
    expect(own.status).toBe(201);
  });

  it('unresolvable sources of several tags are aggregated in one wrapped cause', async () => {
    const res = await call('POST', `${ns('many')}/imagestreams`, {
      metadata: { name: 'app' },
      spec: {
        tags: [
          { name: 'a', from: { kind: 'ImageStreamTag', name: 'nos:m' } },
          { name: 'b', from: { kind: 'ImageStreamImage', name: 'app@ffff' } },
        ],
      },
    });
    expect(res.status).toBe(422);
    const inner =
      '[spec.tags[a].from.name: Not found: "nos:m", spec.tags[b].from.name: Invalid value: "app@ffff": error generating tag event: imagestreamimage.image.openshift.io "ffff" not found]';
    expect(res.body.message).toBe(`ImageStream.image.openshift.io "app" is invalid: []: Internal error: imagestreams "app" is invalid: ${inner}`);
    expect(res.body.details.causes).toEqual([wrapped('app', inner)]);
    expect((await call('GET', `${ns('many')}/imagestreams/app`)).status).toBe(404);
  });

  it('a source naming a stream with no name (`:tag`, `@id`) fails the lookup as Invalid, as the store refuses an empty name', async () => {
    const res = await call('POST', `${ns('noname')}/imagestreams`, {
      metadata: { name: 'app' },
      spec: {
        tags: [
          { name: 'a', from: { kind: 'ImageStreamTag', name: ':foo' } },
          { name: 'b', from: { kind: 'ImageStreamImage', name: '@ffff' } },
        ],
      },
    });
    expect(res.status).toBe(422);
    const why = 'unable to retrieve image stream: Name parameter required.';
    const inner = `[spec.tags[a].from.name: Invalid value: ":foo": ${why}, spec.tags[b].from.name: Invalid value: "@ffff": ${why}]`;
    expect(res.body.details.causes).toEqual([wrapped('app', inner)]);
    expect((await call('GET', `${ns('noname')}/imagestreams/app`)).status).toBe(404);
  });

  it('an istag whose source has two separators is refused by the stream write, not by istag validation', async () => {
    const res = await call('PUT', `${ns('istag')}/imagestreamtags/app:t`, {
      metadata: { name: 'app:t' },
      tag: { from: { kind: 'ImageStreamTag', name: 'a:b:c' } },
    });
    expect(res.status).toBe(422);
    expect(res.body.details).toMatchObject({ kind: 'ImageStream', name: 'app' });
    expect(res.body.details.causes).toEqual([wrapped('app', `spec.tags[t].from.name: Invalid value: "a:b:c": ${sourceForm}`)]);
  });

  it('an update checks the sources of new or changed tags only', async () => {
    const created = await call('POST', `${ns('upd')}/imagestreams`, {
      metadata: { name: 'app' },
      spec: { tags: [{ name: 'keep', from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } }] },
    });
    expect(created.status).toBe(201);
    const spec = { tags: [...created.body.spec.tags, { name: 'new', from: { kind: 'ImageStreamTag', name: 'x:y' }, referencePolicy: { type: 'Source' } }] };
    const res = await call('PUT', `${ns('upd')}/imagestreams/app`, { ...created.body, spec });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([wrapped('app', 'spec.tags[new].from.name: Not found: "x:y"')]);
  });

  it('generation 0 on a tag copied from another stream bumps generations but does not copy the source again (tagsChanged after PrepareForUpdate)', async () => {
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const map = async (image: string) => {
      const res = await call('POST', `${ns('regen')}/imagestreammappings`, {
        metadata: { name: 'src' },
        tag: 'v1',
        image: { metadata: { name: image }, dockerImageReference: `quay.io/regen/src@${image}` },
      });
      expect(res.status).toBe(201);
    };
    expect((await call('POST', `${ns('regen')}/imagestreams`, { metadata: { name: 'src' } })).status).toBe(201);
    await map(digest('1'));
    const created = await call('POST', `${ns('regen')}/imagestreams`, {
      metadata: { name: 'dst' },
      spec: { tags: [{ name: 'copy', from: { kind: 'ImageStreamTag', name: 'src:v1' } }] },
    });
    expect(created.status).toBe(201);
    await map(digest('2'));
    const current = (await call('GET', `${ns('regen')}/imagestreams/dst`)).body;
    const tags = current.spec.tags.map((t: { name: string }) => ({ ...t, generation: 0 }));
    const res = await call('PUT', `${ns('regen')}/imagestreams/dst`, { ...current, spec: { ...current.spec, tags } });
    expect(res.status).toBe(200);
    expect(res.body.metadata.generation).toBe(2);
    expect(res.body.spec.tags[0].generation).toBe(2);
    expect(res.body.status.tags).toEqual([{ tag: 'copy', items: [expect.objectContaining({ image: digest('1'), generation: 1 })] }]);
  });

  it("an alias within the stream gives the source tag's newest entry its generation too (upstream sets it through a pointer into the stream's status)", async () => {
    const image = `sha256:${'7'.repeat(64)}`;
    expect((await call('POST', `${ns('alias-gen')}/imagestreams`, { metadata: { name: 'q' } })).status).toBe(201);
    const mapped = await call('POST', `${ns('alias-gen')}/imagestreammappings`, {
      metadata: { name: 'q' },
      tag: 'v1',
      image: { metadata: { name: image }, dockerImageReference: `quay.io/alias/q@${image}` },
    });
    expect(mapped.status).toBe(201);
    // oc tag q:v1 q:latest
    const tagged = await call('PUT', `${ns('alias-gen')}/imagestreamtags/q:latest`, { metadata: { name: 'q:latest' }, tag: { name: 'latest', from: { kind: 'ImageStreamTag', name: 'q:v1' } } });
    expect(tagged.status).toBe(201);
    const stream = (await call('GET', `${ns('alias-gen')}/imagestreams/q`)).body;
    expect(stream.metadata.generation).toBe(2);
    const items = (tag: string) => stream.status.tags.find((t: { tag: string }) => t.tag === tag).items;
    expect(items('latest')).toEqual([expect.objectContaining({ image, generation: 2 })]);
    expect(items('v1')).toEqual([expect.objectContaining({ image, generation: 2 })]);
    // A generation-0 write of the alias resolves nothing upstream: the source entry keeps its generation.
    const regen = await call('PUT', `${ns('alias-gen')}/imagestreamtags/q:latest`, {
      metadata: { name: 'q:latest' },
      tag: { name: 'latest', from: { kind: 'ImageStreamTag', name: 'q:v1' }, generation: 0 },
    });
    expect(regen.status).toBe(200);
    const after = (await call('GET', `${ns('alias-gen')}/imagestreams/q`)).body;
    expect(after.metadata.generation).toBe(3);
    expect(after.status.tags.find((t: { tag: string }) => t.tag === 'v1').items).toEqual([expect.objectContaining({ image, generation: 2 })]);
  });

  it('a write refused by field validation still reports sources that do not resolve, in the same 422 (Validate runs both)', async () => {
    const res = await call('POST', `${ns('mixed')}/imagestreams`, {
      metadata: { name: 'app' },
      spec: {
        tags: [
          { name: 'x', from: { kind: 'ImageStreamTag', name: 'nos:latest' } },
          { name: 'y', referencePolicy: { type: 'Bogus' } },
          { name: 'z', from: { kind: 'ImageStreamTag', name: 'a:b:c' } },
        ],
      },
    });
    expect(res.status).toBe(422);
    const inner = `[spec.tags[x].from.name: Not found: "nos:latest", spec.tags[z].from.name: Invalid value: "a:b:c": ${sourceForm}]`;
    const policy = { reason: 'FieldValueInvalid', field: 'spec.tags[y].referencePolicy.type', message: 'Invalid value: "Bogus": valid values are "Source", "Local"' };
    expect(res.body.details.causes).toEqual([wrapped('app', inner), policy]);
    expect((await call('GET', `${ns('mixed')}/imagestreams/app`)).status).toBe(404);

    // An update: only the new or changed tags' sources are resolved, an unchanged one is not.
    const created = await call('POST', `${ns('mixed')}/imagestreams`, { metadata: { name: 'app' } });
    expect(created.status).toBe(201);
    const updated = await call('PUT', `${ns('mixed')}/imagestreams/app`, {
      metadata: { name: 'app', resourceVersion: created.body.metadata.resourceVersion },
      spec: { tags: [{ name: 'x', from: { kind: 'ImageStreamImage', name: 'app@sha256:9999' } }, { name: 'y', referencePolicy: { type: 'Bogus' } }] },
    });
    expect(updated.status).toBe(422);
    const missing = 'spec.tags[x].from.name: Invalid value: "app@sha256:9999": error generating tag event: imagestreamimage.image.openshift.io "sha256:9999" not found';
    expect(updated.body.details.causes).toEqual([wrapped('app', missing), policy]);
  });
});
