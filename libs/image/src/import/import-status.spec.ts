import { ListEntryImportError, RegistryAuthError, RegistryNotFoundError, RegistryUnavailableError, UnsupportedManifestError } from '@app/registry';
import type { ImageStreamImport } from './imagestreamimport.types';
import { clearManifests, hasSameCondition, importFailedCondition, importFailure, observedGeneration, untypeEmbedded } from './import-status';

describe('importFailure', () => {
  const ref = 'quay.io/org/app:nope';
  it.each<[string, unknown, Record<string, unknown>]>([
    [
      'not found',
      new RegistryNotFoundError('manifest not found'),
      {
        reason: 'NotFound',
        code: 404,
        message: `dockerimage.image.openshift.io "${ref}" not found`,
        details: { name: ref, group: 'image.openshift.io', kind: 'dockerimage' },
      },
    ],
    ['denied', new RegistryAuthError('access denied', 401), { reason: 'Unauthorized', code: 401, message: `you may not have access to the container image "${ref}"` }],
    [
      'unreachable',
      new RegistryUnavailableError('manifest: ECONNREFUSED'),
      {
        reason: 'InternalError',
        code: 500,
        message: `Internal error occurred: ${ref}: manifest: ECONNREFUSED`,
        details: { causes: [{ message: `${ref}: manifest: ECONNREFUSED` }] },
      },
    ],
    [
      'schema1',
      new UnsupportedManifestError('schema1 manifests are not supported', 'x'),
      {
        reason: 'InternalError',
        code: 500,
        message: `Internal error occurred: ${ref}: schema1 manifests are not supported`,
        details: { causes: [{ message: `${ref}: schema1 manifests are not supported` }] },
      },
    ],
    [
      'config blob missing',
      new RegistryNotFoundError('blob quay.io/org/app@sha256:c not found: BLOB_UNKNOWN', 'BLOB_UNKNOWN', 'blob'),
      {
        reason: 'InternalError',
        code: 500,
        message: `Internal error occurred: ${ref}: unknown blob`,
        details: { causes: [{ message: `${ref}: unknown blob` }] },
      },
    ],
    [
      'list entry missing (PreserveOriginal)',
      new ListEntryImportError(`sha256:${'a'.repeat(64)}`, new RegistryNotFoundError('manifest not found', 'MANIFEST_UNKNOWN', 'manifest')),
      {
        reason: 'NotFound',
        code: 404,
        message: `dockerimage.image.openshift.io "quay.io/org/app@sha256:${'a'.repeat(64)}" not found`,
        details: { name: `quay.io/org/app@sha256:${'a'.repeat(64)}`, group: 'image.openshift.io', kind: 'dockerimage' },
      },
    ],
  ])('%s', (_what, err, expected) => {
    expect(importFailure(ref, err)).toMatchObject({ metadata: {}, status: 'Failure', ...expected });
  });

  const answered = <E extends RegistryNotFoundError | RegistryAuthError | RegistryUnavailableError>(err: E, answer: E['answer']) => Object.assign(err, { answer });
  it.each<[string, unknown, Record<string, unknown>]>([
    ['403 DENIED', answered(new RegistryAuthError('denied', 403), { statusCode: 403, subject: 'manifest', codes: ['DENIED'], text: 'denied' }), { reason: 'InternalError', code: 500, message: `Internal error occurred: ${ref}: denied` }],
    ['404 NAME_UNKNOWN', answered(new RegistryNotFoundError('x', 'NAME_UNKNOWN', 'manifest'), { statusCode: 404, subject: 'manifest', codes: ['NAME_UNKNOWN'], text: 'name unknown: n' }), { reason: 'InternalError', message: `Internal error occurred: ${ref}: name unknown: n` }],
    ['404 NAME_UNKNOWN listing tags', answered(new RegistryNotFoundError('x', 'NAME_UNKNOWN', 'tags'), { statusCode: 404, subject: 'tags', codes: ['NAME_UNKNOWN'], text: 'name unknown' }), { reason: 'NotFound', code: 404 }],
    ['403 UNAUTHORIZED', answered(new RegistryAuthError('x', 403), { statusCode: 403, subject: 'manifest', codes: ['UNAUTHORIZED'], text: 'unauthorized' }), { reason: 'Unauthorized', code: 401 }],
    ['429', answered(new RegistryUnavailableError('x', 429), { statusCode: 429, subject: 'manifest', codes: ['TOOMANYREQUESTS'], text: 'toomanyrequests: slow' }), { reason: 'InternalError', message: `Internal error occurred: ${ref}: toomanyrequests: slow` }],
  ])('by the registry\'s error code, not its HTTP status: %s', (_what, err, expected) => {
    expect(importFailure(ref, err)).toMatchObject(expected);
  });

  it('InternalError has the shape of apimachinery NewInternalError (details.causes[{message}], no cause reason)', () => {
    expect(importFailure(ref, new Error('boom'))).toEqual({
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${ref}: boom`,
      reason: 'InternalError',
      details: { causes: [{ message: `${ref}: boom` }] },
      code: 500,
    });
  });
});

describe('failure conditions', () => {
  const failure = importFailure('a/b:c', new RegistryNotFoundError('x'));

  it('carry reason, message and the generation of the write', () => {
    expect(importFailedCondition(failure, 7, '2026-01-01T00:00:00Z')).toEqual({
      type: 'ImportSuccess',
      status: 'False',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'NotFound',
      message: 'dockerimage.image.openshift.io "a/b:c" not found',
      generation: 7,
    });
    expect(importFailedCondition({ metadata: {}, status: 'Failure' }, 1, 'now').message).toBe('unknown error prevented import');
  });

  it('are the same when type, status, reason and message are (generation and time ignored)', () => {
    const a = importFailedCondition(failure, 1, 't1');
    expect(hasSameCondition([importFailedCondition(failure, 5, 't2')], a)).toBe(true);
    expect(hasSameCondition([{ ...a, message: 'other' }], a)).toBe(false);
    expect(hasSameCondition(undefined, a)).toBe(false);
  });

  it.each<[number | undefined, number | undefined, number]>([
    [undefined, undefined, 0],
    [3, undefined, 3],
    [undefined, 4, 4],
    [5, 2, 5],
  ])('observed generation of top %s and condition %s is %s', (top, condition, expected) => {
    const conditions = condition === undefined ? undefined : [importFailedCondition(failure, condition, 't')];
    expect(observedGeneration(top, conditions)).toBe(expected);
  });
});

describe('clearManifests', () => {
  it("keeps the entry's raw manifest only where includeManifest asked for it; a list's children keep theirs (as upstream)", () => {
    const image = () => ({ metadata: { name: 'd' }, dockerImageReference: 'a/b@d', dockerImageManifest: '{}', dockerImageConfig: '{}' });
    const isi = {
      metadata: {},
      spec: { import: false, images: [{ includeManifest: true }, {}], repository: { includeManifest: false } },
      status: {
        images: [{ status: {}, image: image() }, { status: {}, image: image(), manifests: [image()] }],
        repository: { status: {}, images: [{ status: {}, image: image() }] },
      },
    } as unknown as ImageStreamImport;
    clearManifests(isi);
    expect(isi.status!.images![0]!.image).toHaveProperty('dockerImageManifest');
    expect(isi.status!.images![1]!.image).not.toHaveProperty('dockerImageManifest');
    expect(isi.status!.images![1]!.manifests![0]).toHaveProperty('dockerImageConfig');
    expect(isi.status!.repository!.images![0]!.image).not.toHaveProperty('dockerImageManifest');
  });
});

describe('untypeEmbedded', () => {
  it('drops kind/apiVersion of every embedded Image and of the written stream, and nothing else', () => {
    const image = (name: string) => ({ kind: 'Image', apiVersion: 'image.openshift.io/v1', metadata: { name } });
    const isi = {
      metadata: { name: 's' },
      spec: { import: true },
      status: {
        images: [{ status: { metadata: {}, status: 'Success' }, image: image('a'), manifests: [image('b')] }],
        repository: { status: { metadata: {}, status: 'Success' }, images: [{ status: { metadata: {}, status: 'Success' }, image: image('c') }] },
        import: { kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', metadata: { name: 's' } },
      },
    } as unknown as ImageStreamImport;
    untypeEmbedded(isi);
    expect(isi.status).toEqual({
      images: [{ status: { metadata: {}, status: 'Success' }, image: { metadata: { name: 'a' } }, manifests: [{ metadata: { name: 'b' } }] }],
      repository: { status: { metadata: {}, status: 'Success' }, images: [{ status: { metadata: {}, status: 'Success' }, image: { metadata: { name: 'c' } } }] },
      import: { metadata: { name: 's' } },
    });
  });
});
