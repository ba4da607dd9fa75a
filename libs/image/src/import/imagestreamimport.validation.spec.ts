import { fieldErrorString } from '@app/api-machinery';
import type { ImageStreamImport } from './imagestreamimport.types';
import { defaultImageStreamImport, validateImageStreamImport } from './imagestreamimport.validation';

const isi = (spec: unknown, name = 'app'): ImageStreamImport => ({ metadata: { name }, spec } as unknown as ImageStreamImport);
const docker = (name: string, extra: Record<string, unknown> = {}) => ({ from: { kind: 'DockerImage', name }, ...extra });
const fields = (o: ImageStreamImport) => validateImageStreamImport('ns', o, 3).map((e) => `${e.field}: ${e.detail ?? ''}`);

describe('defaultImageStreamImport', () => {
  it.each([
    ['quay.io/org/app:3.1', { name: '3.1' }],
    ['quay.io/org/app', undefined],
    ['quay.io/org/app@sha256:' + 'a'.repeat(64), undefined],
    ['NOT A NAME', undefined],
  ])('defaults `to` of %s to the tag of from.name', (name, to) => {
    const o = isi({ images: [docker(name)] });
    defaultImageStreamImport(o);
    expect(o.spec.images![0]!.to).toEqual(to);
  });

  it.each([undefined, null])('takes a %s spec as the empty one (upstream decodes it so): nothing to import', (spec) => {
    const o = isi(spec);
    defaultImageStreamImport(o);
    expect(o.spec).toEqual({ import: false });
    expect(fields(o)).toEqual(['spec.images: you must specify at least one image or a repository import']);
  });

  it('keeps an explicit to, defaults policies and import', () => {
    const o = isi({ images: [docker('a/b:1', { to: { name: 'x' } })], repository: { from: { kind: 'DockerImage', name: 'a/b' } } });
    defaultImageStreamImport(o, 'PreserveOriginal');
    expect(o.spec).toEqual({
      import: false,
      images: [{ from: { kind: 'DockerImage', name: 'a/b:1' }, to: { name: 'x' }, importPolicy: { importMode: 'PreserveOriginal' }, referencePolicy: { type: 'Source' } }],
      repository: { from: { kind: 'DockerImage', name: 'a/b' }, importPolicy: { importMode: 'PreserveOriginal' }, referencePolicy: { type: 'Source' } },
    });
  });
});

describe('validateImageStreamImport', () => {
  it.each<[string, unknown, string[]]>([
    ['a valid image', { images: [docker('quay.io/a/b:1')] }, []],
    ['the legacy * name', { images: [docker('*')] }, []],
    ['a valid repository', { repository: docker('quay.io/a/b') }, []],
    ['nothing to import', {}, ['spec.images: you must specify at least one image or a repository import']],
    ['another kind', { images: [{ from: { kind: 'ImageStreamTag', name: 'a:b' } }] }, ['spec.images[0].from.kind: only DockerImage is supported']],
    ['no from.name', { images: [{ from: { kind: 'DockerImage' } }] }, ['spec.images[0].from.name: ']],
    ['a bad name', { images: [docker('a//b')] }, ['spec.images[0].from.name: invalid reference format']],
    ['an empty to', { images: [docker('a/b:1', { to: { name: '' } })] }, ['spec.images[0].to.name: the name of the target tag must be specified']],
    ['a scheduled digest (upstream accepts it)', { images: [docker('a/b@sha256:' + 'c'.repeat(64), { importPolicy: { scheduled: true } })] }, []],
    ['a bad import mode', { images: [docker('a/b:1', { importPolicy: { importMode: 'All' } })] }, ["spec.images[0].importPolicy.importMode: invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'"]],
    ['a tagged repository', { repository: docker('a/b:1') }, ['spec.repository.from.name: you must specify an image repository, not a tag or ID']],
    ['a repository of another kind', { repository: { from: { kind: 'ImageStreamImage', name: 'x' } } }, ['spec.repository.from.kind: only DockerImage is supported']],
    ['a nameless repository', { repository: { from: { kind: 'DockerImage' } } }, ['spec.repository.from.name: container image references require a name']],
    [
      'another kind with a bad import mode (the mode is still checked, as upstream)',
      { images: [{ from: { kind: 'ImageStreamTag', name: 'a:b' }, importPolicy: { importMode: 'All' } }], repository: { from: { kind: 'ImageStreamTag', name: 'a' }, importPolicy: { importMode: 'All' } } },
      [
        'spec.images[0].from.kind: only DockerImage is supported',
        "spec.images[0].importPolicy.importMode: invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'",
        'spec.repository.from.kind: only DockerImage is supported',
        "spec.repository.importPolicy.importMode: invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'",
      ],
    ],
    ['too many images', { images: [docker('a/b:1'), docker('a/b:2'), docker('a/b:3'), docker('a/b:4')] }, ['spec.images: must have at most 3 items']],
    ['a spec that is no object', 'x', ['spec: ']],
  ])('%s', (_what, spec, expected) => {
    expect(fields(isi(spec))).toEqual(expected);
  });

  it('too many images is a TooMany error with the count, as apimachinery words it', () => {
    const [error] = validateImageStreamImport('ns', isi({ images: [docker('a/b:1'), docker('a/b:2'), docker('a/b:3'), docker('a/b:4')] }), 3);
    expect(error).toMatchObject({ type: 'FieldValueTooMany', field: 'spec.images' });
    expect(fieldErrorString(error!)).toBe('spec.images: Too many: 4: must have at most 3 items');
  });

  it('checks the stream name and the namespace', () => {
    expect(fields(isi({ images: [docker('a/b:1')] }, 'Bad_Name'))).toEqual(['metadata.name: must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"']);
    expect(validateImageStreamImport('', isi({ images: [docker('a/b:1')] }), 3).map((e) => e.field)).toEqual(['metadata.namespace']);
  });
});
