import type { ImageStream, NamedTagEventList, TagEvent } from './imagestream.types';
import { prepareStatusTags, requestedStatusTags, sameStatusTags } from './imagestream-status-tags';

const ev = (image: string, generation: number, created = '2025-01-01T00:00:00Z'): TagEvent => ({
  created,
  dockerImageReference: `quay.io/x/y@${image}`,
  image,
  generation,
});
const stream: ImageStream = {
  metadata: { name: 's', namespace: 'n', generation: 2 },
  spec: {
    lookupPolicy: { local: false },
    tags: [
      { name: 'one', annotations: null, generation: 1, importPolicy: {}, referencePolicy: { type: 'Source' } },
      { name: 'nogen', annotations: null, generation: null, importPolicy: {}, referencePolicy: { type: 'Source' } },
    ],
  },
};
const current: NamedTagEventList[] = [
  { tag: 'nogen', items: [ev('sha256:a', 2)] },
  { tag: 'one', items: [ev('sha256:a', 2)] },
];
const topGeneration = (requested: NamedTagEventList[], tag: string) =>
  prepareStatusTags(requested, current, stream).find((t) => t.tag === tag)!.items![0]!.generation;

describe('status writes: generation of a new top item (updateObservedGenerationForStatusUpdate)', () => {
  it('a changed top item takes the spec tag generation', () => {
    expect(topGeneration([{ tag: 'one', items: [ev('sha256:b', 0), ev('sha256:a', 2)] }], 'one')).toBe(1);
  });
  it('an unchanged top item, a tag new to status or a spec tag without generation take the stream generation', () => {
    expect(topGeneration([{ tag: 'one', items: [{ ...ev('sha256:a', 0), generation: 2 }] }], 'one')).toBe(2);
    expect(topGeneration([{ tag: 'fresh', items: [ev('sha256:b', 0)] }], 'fresh')).toBe(2);
    expect(topGeneration([{ tag: 'nogen', items: [ev('sha256:b', 0)] }], 'nogen')).toBe(2);
  });
  it('a given generation is kept; items get their defaults; empty condition fields are dropped', () => {
    const [tag] = prepareStatusTags(
      [{ tag: 'one', items: [{ ...ev('sha256:b', 7) }, { created: 'x', dockerImageReference: 'r' } as TagEvent], conditions: [{ type: 'ImportSuccess', status: 'False', reason: '', message: '', generation: 1 }] }],
      current,
      stream,
    );
    expect(tag!.items!.map((i) => [i.generation, i.image])).toEqual([[7, 'sha256:b'], [0, '']]);
    expect(tag!.conditions).toEqual([{ type: 'ImportSuccess', status: 'False', generation: 1 }]);
  });
});

describe('sameStatusTags (a no-op status write keeps the resourceVersion)', () => {
  it('ignores tag order, sub-second times and absent defaults', () => {
    const next = [
      { tag: 'one', items: [{ ...ev('sha256:a', 2), created: '2025-01-01T00:00:00.000Z' }] },
      { tag: 'nogen', items: [ev('sha256:a', 2)] },
    ];
    expect(sameStatusTags(next, current)).toBe(true);
  });
  it('sees a changed item, a dropped tag or a new condition', () => {
    expect(sameStatusTags([{ tag: 'one', items: [ev('sha256:b', 2)] }, current[0]!], current)).toBe(false);
    expect(sameStatusTags([current[1]!], current)).toBe(false);
    expect(sameStatusTags([current[0]!, { ...current[1]!, conditions: [{ type: 'ImportSuccess', status: 'False', generation: 2 }] }], current)).toBe(false);
  });
});

describe('requestedStatusTags (the v1 list is a map upstream)', () => {
  it('keeps one tag per name, the last entry winning, and keeps tags with nothing in them', () => {
    const requested = { ...stream, status: { dockerImageRepository: '', tags: [{ tag: 'a', items: [ev('sha256:1', 1)] }, { tag: 'b', items: [] }, { tag: 'a', items: null }] } };
    expect(requestedStatusTags(requested)).toEqual([
      { tag: 'b', items: [] },
      { tag: 'a', items: null },
    ]);
  });
  it('a stream without status asks for no tags', () => {
    expect(requestedStatusTags(stream)).toEqual([]);
  });
});
