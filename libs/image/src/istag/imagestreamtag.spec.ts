import type { Image } from '../image/image.types';
import type { ImageStream, TagEvent } from '../imagestream/imagestream.types';
import type { ImageStreamTag } from './imagestreamtag.types';
import { prepareImageStreamTagUpdate, validateImageStreamTag, validateImageStreamTagUpdate } from './imagestreamtag.validation';
import { imageStreamTagView } from './imagestreamtag.view';

const digest = `sha256:${'b'.repeat(64)}`;
const stream: ImageStream = {
  metadata: { name: 'ruby', namespace: 'demo', uid: 'u-1', resourceVersion: '42', creationTimestamp: '2025-01-01T00:00:00Z', labels: { team: 'web' } },
  spec: {
    lookupPolicy: { local: true },
    tags: [
      { name: 'latest', annotations: { note: 'tag' }, from: { kind: 'ImageStreamTag', name: '3.1' }, generation: 2, importPolicy: { importMode: 'Legacy' }, referencePolicy: { type: 'Local' } },
    ],
  },
};
const event: TagEvent = { created: '2025-02-02T00:00:00Z', dockerImageReference: `quay.io/x/ruby@${digest}`, image: digest, generation: 3 };
const image: Image = {
  metadata: { name: digest, annotations: { own: 'yes' } },
  dockerImageReference: `quay.io/x/ruby@${digest}`,
  dockerImageManifest: '{}',
  dockerImageConfig: '{}',
};

describe('imageStreamTagView', () => {
  it('builds the istag from the stream, the newest event and the image', () => {
    const view = imageStreamTagView({ stream, tag: 'latest', event, image, repository: 'registry.local:5000/demo/ruby' }, false)!;
    expect(view).toMatchObject({
      kind: 'ImageStreamTag',
      metadata: { name: 'ruby:latest', namespace: 'demo', uid: 'u-1', resourceVersion: '42', creationTimestamp: event.created, labels: { team: 'web' }, annotations: { note: 'tag' } },
      tag: { name: 'latest', generation: 2 },
      generation: 3,
      lookupPolicy: { local: true },
    });
    expect(view.image).toMatchObject({
      metadata: { name: digest, annotations: { own: 'yes', note: 'tag' } },
      dockerImageReference: `registry.local:5000/demo/ruby@${digest}`,
      dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0' },
    });
    expect((view.image as Image).dockerImageManifest).toBeUndefined();
    expect((view.image as Image).dockerImageConfig).toBeUndefined();
    expect(image.metadata.annotations).toEqual({ own: 'yes' });
  });

  it.each([
    ['no event', undefined],
    ['an image-less (reference) event', { ...event, image: '' }],
  ])('is null for %s unless empty views are allowed', (_name, e) => {
    expect(imageStreamTagView({ stream, tag: 'latest', event: e, repository: '' }, false)).toBeNull();
    const empty = imageStreamTagView({ stream, tag: 'latest', event: e, repository: '' }, true)!;
    // Upstream's v1 conversion of an empty Image still emits the metadata document and its version.
    expect(empty.image).toEqual({
      metadata: {},
      dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} },
      dockerImageMetadataVersion: '1.0',
    });
    expect(empty.generation).toBe(0);
    expect(empty.metadata.creationTimestamp).toBe(stream.metadata.creationTimestamp);
  });

  it('serves a stored spec tag without the empty fields an older row kept', () => {
    const legacy = structuredClone(stream);
    Object.assign(legacy.spec.tags![0]!, { reference: false, from: { kind: 'ImageStreamTag', name: '3.1', namespace: '' }, importPolicy: { importMode: 'Legacy', scheduled: false } });
    const view = imageStreamTagView({ stream: legacy, tag: 'latest', event, repository: '' }, false)!;
    expect(view.tag).toEqual({ ...stream.spec.tags![0], from: { kind: 'ImageStreamTag', name: '3.1' } });
  });

  it('lists without loading images: name and pull spec only; a status-only tag has tag null', () => {
    const view = imageStreamTagView({ stream, tag: 'pushed', event, repository: 'registry.local:5000/demo/ruby' }, false)!;
    expect(view.tag).toBeNull();
    expect(view.metadata.annotations).toBeUndefined();
    expect(view.image).toEqual({
      metadata: { name: digest },
      dockerImageReference: event.dockerImageReference,
      dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} },
      dockerImageMetadataVersion: '1.0',
    });
  });
});

describe('ImageStreamTag validation', () => {
  const base = (): ImageStreamTag => imageStreamTagView({ stream, tag: 'latest', event, repository: '' }, true)!;
  it.each<[string, (ist: ImageStreamTag) => void, string[]]>([
    ['a valid tag', () => undefined, []],
    ['an unknown from.kind', (ist) => (ist.tag!.from = { kind: 'Nope', name: 'x' }), ['tag.from.kind']],
    ['a scheduled ImageStreamTag source', (ist) => (ist.tag!.importPolicy = { scheduled: true }), ['tag.importPolicy.scheduled']],
    ['tag annotations that differ from the object annotations', (ist) => (ist.tag!.annotations = { other: 'x' }), ['tag.annotations']],
    ['no namespace', (ist) => delete ist.metadata.namespace, ['metadata.namespace']],
  ])('create: %s', (_name, mutate, fields) => {
    const ist = base();
    mutate(ist);
    expect(validateImageStreamTag(ist).map((e) => e.field)).toEqual(fields);
  });

  it.each<[string, (ist: ImageStreamTag) => void, string[]]>([
    ['annotations', (ist) => (ist.metadata.annotations = { x: 'y' }), []],
    ['the tag', (ist) => (ist.tag = { ...ist.tag!, reference: true }), []],
    ['lookupPolicy and generation (ignored)', (ist) => Object.assign(ist, { lookupPolicy: { local: false }, generation: 9 }), []],
    ['labels', (ist) => (ist.metadata.labels = { team: 'other' }), ['metadata']],
    ['a blind request without uid or resourceVersion', (ist) => Object.assign(ist.metadata, { uid: undefined, resourceVersion: undefined }), []],
  ])('update: changing %s', (_name, mutate, fields) => {
    const old = base();
    const next = structuredClone(old);
    mutate(next);
    prepareImageStreamTagUpdate(next, old);
    expect(validateImageStreamTagUpdate(next, old).map((e) => e.field)).toEqual(fields);
  });

  it('update: labels left out default to the stream labels; tag annotations follow the object', () => {
    const old = base();
    const next = structuredClone(old);
    delete next.metadata.labels;
    next.metadata.annotations = { fresh: '1' };
    prepareImageStreamTagUpdate(next, old);
    expect(next.metadata.labels).toEqual({ team: 'web' });
    expect(next.tag!.annotations).toEqual({ fresh: '1' });
  });
});
