import { aliasesOf } from './tag-aliases';
import { tagRefChanged } from './tag-changes';
import type { ImageStream, TagReference } from './imagestream.types';

const tag = (name: string, from?: TagReference['from'], extra: Partial<TagReference> = {}): TagReference => ({
  name,
  annotations: null,
  generation: 1,
  importPolicy: { importMode: 'Legacy' },
  referencePolicy: { type: 'Source' },
  ...(from ? { from } : {}),
  ...extra,
});

describe('aliasesOf', () => {
  const s: ImageStream = {
    metadata: { name: 'ruby', namespace: 'demo' },
    spec: {
      lookupPolicy: { local: false },
      tags: [
        tag('latest', { kind: 'ImageStreamTag', name: '3.1' }),
        tag('stable', { kind: 'ImageStreamTag', name: 'ruby:3.1' }),
        tag('other-ns', { kind: 'ImageStreamTag', name: '3.1', namespace: 'elsewhere' }),
        tag('other-stream', { kind: 'ImageStreamTag', name: 'python:3.1' }),
        tag('pinned', { kind: 'ImageStreamImage', name: 'ruby@sha256:abc' }),
      ],
    },
  };
  it('finds same-stream ImageStreamTag followers only', () => {
    expect(aliasesOf(s, '3.1')).toEqual(['latest', 'stable']);
    expect(aliasesOf(s, 'latest')).toEqual([]);
  });

  it('reads `<stream>:` as `<stream>:latest` and the same namespace named explicitly as this one (upstream UpdateTrackingTags)', () => {
    const t: ImageStream = {
      ...s,
      spec: {
        ...s.spec,
        tags: [tag('head', { kind: 'ImageStreamTag', name: 'ruby:' }), tag('same-ns', { kind: 'ImageStreamTag', name: 'latest', namespace: 'demo' })],
      },
    };
    expect(aliasesOf(t, 'latest')).toEqual(['head', 'same-ns']);
    expect(aliasesOf(t, '')).toEqual([]);
  });
});

describe('tagRefChanged', () => {
  const base = tag('a', { kind: 'DockerImage', name: 'x/y:1' });
  it.each([
    ['same', base, false],
    ['other name', tag('a', { kind: 'DockerImage', name: 'x/y:2' }), true],
    ['other namespace', tag('a', { kind: 'DockerImage', name: 'x/y:1', namespace: 'o' }), true],
    ['reference flips', tag('a', { kind: 'DockerImage', name: 'x/y:1' }, { reference: true }), true],
    ['import mode', tag('a', { kind: 'DockerImage', name: 'x/y:1' }, { importPolicy: { importMode: 'PreserveOriginal' } }), true],
    ['generation 0', tag('a', { kind: 'DockerImage', name: 'x/y:1' }, { generation: 0 }), true],
    ['kind only', tag('a', { kind: 'ImageStreamTag', name: 'x/y:1' }), false],
    ['no from', tag('a'), false],
  ])('%s → %s', (_name, next, expected) => {
    expect(tagRefChanged(base, next, 'demo')).toBe(expected);
  });
});
