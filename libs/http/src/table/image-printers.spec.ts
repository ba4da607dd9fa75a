import type { ImageTag, NamedTagEventList } from '@app/image';
import { imagePrinters, imageTagCells, sortStatusTags, tagsUpToWidth } from './image-printers';

const tag = (name: string, created?: string): NamedTagEventList => ({
  tag: name,
  items: created ? [{ created, dockerImageReference: 'x', image: 'sha256:x', generation: 1 }] : null,
});

describe('status tag summaries (oc get is "Tags" column)', () => {
  it('sorts newest first, then by name; tags without history last', () => {
    const tags = [tag('b', '2025-01-01T00:00:00Z'), tag('a', '2025-01-01T00:00:00Z'), tag('new', '2025-02-01T00:00:00Z'), tag('empty')];
    expect(sortStatusTags(tags)).toEqual(['new', 'a', 'b', 'empty']);
  });

  it.each([
    [['latest'], 40, 'latest'],
    [['a', 'b', 'c'], 40, 'a,b,c'],
    [['a-very-long-tag-name-that-is-wider-than-everything'], 40, 'a-very-long-tag-name-that-is-wider-than-everything'],
    [['1111111111', '2222222222', '3333333333', '4444444444', '5555555555'], 40, '1111111111,2222222222,3333333333 + 2 more...'],
    [['1111111111', '2222222222', '3333333333', '44444'], 40, '1111111111,2222222222,3333333333,44444'],
  ])('%j within %d characters → %s', (names, width, expected) => {
    const base = Date.parse('2025-01-01T00:00:00Z');
    const tags = names.map((n, i) => tag(n, new Date(base - i * 1000).toISOString()));
    expect(tagsUpToWidth(tags, width)).toBe(expected);
  });
});

describe('ImageTag cells (oc get itag)', () => {
  const now = new Date('2025-01-01T00:10:00Z');
  const itag = (spec: ImageTag['spec'], items: { image: string; ref?: string; generation?: number }[] = []): ImageTag => ({
    metadata: { name: 'ruby:latest' },
    spec,
    status: items.length
      ? { tag: 'latest', items: items.map((i) => ({ created: '2025-01-01T00:00:00Z', dockerImageReference: i.ref ?? 'q/x@sha256:1', image: i.image, generation: i.generation ?? 1 })) }
      : null,
    image: null,
  });
  const spec = (from: { kind: string; name: string; namespace?: string }, extra: Record<string, unknown> = {}) => ({
    name: 'latest',
    annotations: null,
    generation: 1,
    importPolicy: {},
    referencePolicy: { type: 'Source' },
    from,
    ...extra,
  });
  it.each<[string, ImageTag, unknown[]]>([
    ['a pushed tag', itag(null, [{ image: 'sha256:1' }]), ['ruby:latest', 'Push', 'image/sha256:1', 1, '10 minutes ago']],
    ['a DockerImage spec tag not imported yet', itag(spec({ kind: 'DockerImage', name: 'quay.io/x:1' })), ['ruby:latest', 'Tag', 'quay.io/x:1', null, '']],
    ['a tracking tag', itag(spec({ kind: 'ImageStreamTag', name: '3.1' }), [{ image: 'sha256:2' }]), ['ruby:latest', 'Track', 'image/sha256:2', 1, '10 minutes ago']],
    ['a reference tag', itag(spec({ kind: 'DockerImage', name: 'quay.io/x:1' }, { reference: true }), [{ image: '', ref: 'quay.io/x:1' }]), ['ruby:latest', 'Ref', 'quay.io/x:1', 1, '10 minutes ago']],
    ['an import in progress', itag(spec({ kind: 'DockerImage', name: 'quay.io/x:1' }, { generation: 3 }), [{ image: 'sha256:1', generation: 2 }]), ['ruby:latest', 'Tag', 'Importing', 1, '10 minutes ago']],
    ['an image from another stream', itag(spec({ kind: 'ImageStreamImage', name: 'other@sha256:9' })), ['ruby:latest', 'Tag', 'image/sha256:9', null, '']],
    ['a cross-namespace tag', itag(spec({ kind: 'ImageStreamTag', name: 'base:1', namespace: 'lib' })), ['ruby:latest', 'Tag', 'istag lib/base:1', null, '']],
    // Upstream splits at the first separator and only asks whether there is one (printer_test foo:4a).
    ['an image id without a stream', itag(spec({ kind: 'ImageStreamImage', name: 'sha256:0000000000' })), ['ruby:latest', 'Tag', 'InvalidRefName', null, '']],
    ['an image name with an empty stream part', itag(spec({ kind: 'ImageStreamImage', name: '@sha256:1' })), ['ruby:latest', 'Tag', 'image/sha256:1', null, '']],
    ['a stream tag with an empty tag part', itag(spec({ kind: 'ImageStreamTag', name: 'base:' })), ['ruby:latest', 'Tag', 'istag/base:', null, '']],
  ])('%s', (_name, input, cells) => {
    expect(imageTagCells(input, now)).toEqual(cells);
  });
});

describe('ImageStream cells', () => {
  it('prefers the public repository and dates the newest tag', () => {
    const printer = imagePrinters['image.openshift.io/imagestreams']!;
    const cells = printer.cells(
      {
        metadata: { name: 'ruby' },
        spec: { lookupPolicy: { local: false } },
        status: { dockerImageRepository: 'internal/ns/ruby', publicDockerImageRepository: 'public/ns/ruby', tags: [tag('a', '2025-01-01T00:00:00Z'), tag('b', '2025-01-01T00:09:00Z')] },
      },
      new Date('2025-01-01T00:10:00Z'),
    );
    expect(cells).toEqual(['ruby', 'public/ns/ruby', 'b,a', 'About a minute ago']);
    expect(printer.columns.map((c) => c.name)).toEqual(['Name', 'Image Repository', 'Tags', 'Updated']);
  });
});
