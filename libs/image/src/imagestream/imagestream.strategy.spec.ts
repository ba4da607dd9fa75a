import { ImageStreamStrategy } from './imagestream.strategy';
import type { ImageStream, TagReference } from './imagestream.types';

const strategy = new ImageStreamStrategy();

function stream(tags: Partial<TagReference>[] = [], extra: Partial<ImageStream['spec']> = {}): ImageStream {
  return {
    metadata: { name: 'ruby', namespace: 'demo' },
    spec: { lookupPolicy: { local: false }, tags: tags as TagReference[], ...extra },
  };
}

function created(tags: Partial<TagReference>[] = []): ImageStream {
  const s = stream(tags);
  strategy.prepareForCreate(s);
  return s;
}

const docker = (name: string) => ({ kind: 'DockerImage', name });

describe('ImageStreamStrategy.prepareForCreate', () => {
  it('sets generation 1 on the stream and every tag, ignores client generations and status', () => {
    const s = stream([{ name: 'a', generation: 7, from: docker('x/y:1') }]);
    s.status = { dockerImageRepository: 'nope', tags: [{ tag: 'a', items: [] }] };
    strategy.prepareForCreate(s);
    expect(s.metadata.generation).toBe(1);
    expect(s.spec.tags![0]!.generation).toBe(1);
    expect(s.status).toBeUndefined();
  });

  it('fills defaults and keeps the last of duplicate tags, sorted', () => {
    const s = created([{ name: 'b', from: docker('x/b:1') }, { name: 'a' }, { name: 'b', from: docker('x/b:2') }]);
    expect(s.spec.tags!.map((t) => [t.name, t.from?.name])).toEqual([
      ['a', undefined],
      ['b', 'x/b:2'],
    ]);
    expect(s.spec.tags![0]).toMatchObject({ annotations: null, importPolicy: { importMode: 'Legacy' }, referencePolicy: { type: 'Source' } });
    expect(s.spec.lookupPolicy).toEqual({ local: false });
  });

  it('drops the spec-tag fields the Go types omit when empty', () => {
    const s = created([
      { name: 'a', reference: false, from: { kind: 'DockerImage', name: 'x/y:1', namespace: '', uid: '' }, importPolicy: { insecure: false, scheduled: false } },
      { name: 'b', reference: true, from: docker('x/y:2'), importPolicy: { insecure: true, scheduled: true } },
    ]);
    expect(s.spec.tags![0]).toEqual({
      name: 'a',
      annotations: null,
      from: { kind: 'DockerImage', name: 'x/y:1' },
      generation: 1,
      importPolicy: { importMode: 'Legacy' },
      referencePolicy: { type: 'Source' },
    });
    expect(s.spec.tags![1]).toMatchObject({ reference: true, importPolicy: { insecure: true, scheduled: true, importMode: 'Legacy' } });
  });

  it('an update does not count empty fields an older stored row kept as a spec change', () => {
    const old = created([{ name: 'a', from: docker('x/y:1') }]);
    Object.assign(old.spec.tags![0]!, { reference: false, importPolicy: { importMode: 'Legacy', insecure: false } });
    const next = structuredClone(old);
    strategy.prepareForUpdate(next, old);
    expect(next.metadata.generation).toBe(1);
    expect(next.spec.tags![0]).not.toHaveProperty('reference');
  });
});

describe('ImageStreamStrategy.prepareForUpdate (generation bookkeeping)', () => {
  type Case = [string, (s: ImageStream) => void, number, Record<string, number>];
  const cases: Case[] = [
    ['labels only → unchanged', (s) => (s.metadata.labels = { a: 'b' }), 1, { a: 1 }],
    ['new tag → +1, tag gets the new generation', (s) => s.spec.tags!.push({ name: 'c', from: docker('x/c:1') } as TagReference), 2, { a: 1, c: 2 }],
    ['client generation 99 is replaced by the old value', (s) => (s.spec.tags![0]!.generation = 99), 1, { a: 1 }],
    ['generation 0 asks for re-import → +1 and the tag takes it', (s) => (s.spec.tags![0]!.generation = 0), 2, { a: 2 }],
    ['changed from.name → +1 and the tag takes it', (s) => (s.spec.tags![0]!.from = docker('x/a:2')), 2, { a: 2 }],
    ['changed referencePolicy only → +1, tag keeps its generation', (s) => (s.spec.tags![0]!.referencePolicy = { type: 'Local' }), 2, { a: 1 }],
    ['null generation means keep', (s) => (s.spec.tags![0]!.generation = null), 1, { a: 1 }],
  ];
  it.each(cases)('%s', (_name, mutate, generation, tagGenerations) => {
    const old = created([{ name: 'a', from: docker('x/a:1') }]);
    const next = structuredClone(old);
    mutate(next);
    strategy.prepareForUpdate(next, old);
    expect(next.metadata.generation).toBe(generation);
    expect(Object.fromEntries(next.spec.tags!.map((t) => [t.name, t.generation]))).toEqual(tagGenerations);
  });

  it('drops client status on the main path', () => {
    const old = created();
    const next = structuredClone(old);
    next.status = { dockerImageRepository: 'x', tags: [{ tag: 'a', items: [] }] };
    strategy.prepareForUpdate(next, old);
    expect(next.status).toBeUndefined();
  });
});

describe('ImageStreamStrategy.validate', () => {
  const field = (s: ImageStream) => strategy.validate(s).map((e) => `${e.field}: ${e.type}`);
  it.each([
    ['valid', stream([{ name: 'a', from: docker('quay.io/x/y:1') }]), []],
    ['bad name', { ...stream(), metadata: { name: 'Bad_Name', namespace: 'demo' } }, ['metadata.name: FieldValueInvalid']],
    // The source-form cause of the strategy (parseFromReference, wrapped) comes before validation's.
    ['from without kind', stream([{ name: 'a', from: { name: 'x' } }]), ['[]: InternalError', 'spec.tags[a].from.kind: FieldValueRequired']],
    ['from without name', stream([{ name: 'a', from: { kind: 'DockerImage' } }]), ['[]: InternalError', 'spec.tags[a].from.name: FieldValueRequired']],
    ['unparsable docker image', stream([{ name: 'a', from: docker('x/UPPER') }]), ['spec.tags[a].from.name: FieldValueInvalid']],
    ['too many separators', stream([{ name: 'a', from: { kind: 'ImageStreamTag', name: 'a:b:c' } }]), ['[]: InternalError']],
    [
      'scheduled import of a stream tag',
      stream([{ name: 'a', from: { kind: 'ImageStreamTag', name: 'b' }, importPolicy: { scheduled: true } }]),
      ['spec.tags[a].importPolicy.scheduled: FieldValueInvalid'],
    ],
    ['bad reference policy', stream([{ name: 'a', referencePolicy: { type: 'Remote' } }]), ['spec.tags[a].referencePolicy.type: FieldValueInvalid']],
    ['bad import mode', stream([{ name: 'a', importPolicy: { importMode: 'Fast' } }]), ['spec.tags[a].importPolicy.importMode: FieldValueInvalid']],
    ['repository with a tag', stream([], { dockerImageRepository: 'quay.io/x/y:1' }), ['spec.dockerImageRepository: FieldValueInvalid']],
  ])('%s', (_name, s, expected) => {
    strategy.canonicalize(s);
    expect(field(s)).toEqual(expected);
  });
});
