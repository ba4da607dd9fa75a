import type { ImageStream, TagEvent } from '../imagestream/imagestream.types';
import type { ImageTag } from './imagetag.types';
import { validateImageTag, validateImageTagUpdate } from './imagetag.validation';
import { imageTagView } from './imagetag.view';

const digest = `sha256:${'c'.repeat(64)}`;
const stream: ImageStream = {
  metadata: { name: 'ruby', namespace: 'demo', uid: 'u', resourceVersion: '7', generation: 3, creationTimestamp: '2025-01-01T00:00:00Z', labels: { a: 'b' } },
  spec: { lookupPolicy: { local: false }, tags: [{ name: 'spec', annotations: null, generation: 1, importPolicy: {}, referencePolicy: { type: 'Source' } }] },
};
const history: TagEvent[] = [
  { created: '2025-01-02T00:00:00Z', dockerImageReference: `q/x@${digest}`, image: digest, generation: 3 },
  { created: '2025-01-01T00:00:00Z', dockerImageReference: 'q/x:old', image: '', generation: 1 },
];

describe('imageTagView', () => {
  it.each([
    ['spec only', 'spec', [], { spec: true, status: false }],
    ['status only', 'pushed', history, { spec: false, status: true }],
  ])('%s', (_name, tag, h, expected) => {
    const view = imageTagView({ stream, tag, history: h, repository: '' }, false)!;
    expect(view.metadata).toEqual({ ...stream.metadata, name: `ruby:${tag}` });
    expect(view.spec !== null).toBe(expected.spec);
    expect(view.status !== null).toBe(expected.status);
    expect(view.image).toBeNull();
  });

  it("carries the stream's whole metadata, managedFields included (upstream newITag)", () => {
    const managedFields = [{ manager: 'kubectl', operation: 'Update', apiVersion: 'image.openshift.io/v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
    const owned = { ...stream, metadata: { ...stream.metadata, managedFields } as ImageStream['metadata'] };
    const view = imageTagView({ stream: owned, tag: 'spec', history: [], repository: '' }, false)!;
    expect(view.metadata).toEqual({ ...stream.metadata, managedFields, name: 'ruby:spec' });
    // A copy: changing the view leaves the stream as it was.
    (view.metadata as { managedFields: unknown[] }).managedFields.pop();
    expect((owned.metadata as { managedFields: unknown[] }).managedFields).toHaveLength(1);
  });

  it('is null when the tag is in neither spec nor status, unless empty views are allowed', () => {
    expect(imageTagView({ stream, tag: 'none', history: [], repository: '' }, false)).toBeNull();
    expect(imageTagView({ stream, tag: 'none', history: [], repository: '' }, true)).toMatchObject({ spec: null, status: null, image: null });
  });

  it('carries the whole history and conditions, and the image of the newest entry', () => {
    const conditions = [{ type: 'ImportSuccess', status: 'False', generation: 3 }];
    const view = imageTagView({ stream, tag: 'pushed', history, conditions, image: { metadata: { name: digest }, dockerImageReference: 'x' }, repository: '' }, false)!;
    expect(view.status).toEqual({ tag: 'pushed', items: history, conditions });
    expect(view.image).toMatchObject({ metadata: { name: digest }, dockerImageReference: `q/x@${digest}` });
  });
});

describe('ImageTag validation', () => {
  const owned: ImageStream = { ...stream, metadata: { ...stream.metadata, managedFields: [{ manager: 'kubectl', operation: 'Update' }] } as ImageStream['metadata'] };
  const base = (): ImageTag => imageTagView({ stream: owned, tag: 'spec', history, repository: '' }, true)!;
  it.each<[string, (t: ImageTag) => void, string[]]>([
    ['a valid spec', () => undefined, []],
    ['no spec', (t) => (t.spec = null), ['spec']],
    ['a spec named after another tag', (t) => (t.spec!.name = 'other'), ['spec.name']],
    ['a bad reference policy', (t) => (t.spec!.referencePolicy = { type: 'Nope' }), ['spec.referencePolicy.type']],
  ])('create: %s', (_name, mutate, fields) => {
    const t = base();
    mutate(t);
    expect(validateImageTag(t).map((e) => e.field)).toEqual(fields);
  });

  it.each<[string, (t: ImageTag) => void, string[]]>([
    ['spec', (t) => (t.spec = { ...t.spec!, reference: true }), []],
    ['spec to null', (t) => (t.spec = null), []],
    ['metadata', (t) => (t.metadata.annotations = { x: 'y' }), ['metadata']],
    ['status', (t) => (t.status = null), ['status']],
    ['generation and creationTimestamp (ignored)', (t) => Object.assign(t.metadata, { generation: 99, creationTimestamp: '2000-01-01T00:00:00Z' }), []],
    // The stream's ownership shows on the view; a request's is the field manager's business, not a metadata change.
    ['managedFields', (t) => Object.assign(t.metadata, { managedFields: [{ manager: 'other', operation: 'Update' }] }), []],
    ['managedFields away', (t) => delete (t.metadata as { managedFields?: unknown }).managedFields, []],
  ])('update: changing %s', (_name, mutate, fields) => {
    const old = base();
    const next = structuredClone(old);
    mutate(next);
    expect(validateImageTagUpdate(next, old).map((e) => e.field)).toEqual(fields);
  });
});
