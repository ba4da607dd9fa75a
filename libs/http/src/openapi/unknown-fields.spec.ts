import { imageSchemas, IMAGE } from './image-schemas';
import { metaSchemas } from './meta-schemas';
import { keyOffsets } from './duplicate-fields';
import { fieldValidationErrors, fieldValidationOf, pruneJsonPatch, unknownFieldOutcome, unknownFieldsInJsonPatch } from './field-validation';
import { pruneUnknownFields, unknownFields } from './unknown-fields';
import { fieldErrorString } from '@app/api-machinery';

const schemas = { ...metaSchemas, ...imageSchemas };
const imageStream = imageSchemas[`${IMAGE}.ImageStream`]!;
const image = imageSchemas[`${IMAGE}.Image`]!;

describe('unknownFields (strict field validation)', () => {
  it.each<[string, unknown, string[]]>([
    ['a valid stream', { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'x', labels: { a: 'b' }, finalizers: ['f'] }, spec: { lookupPolicy: { local: true }, tags: [{ name: 't', from: { kind: 'DockerImage', name: 'a' } }] } }, []],
    ['a typo in spec', { spec: { tagz: [] } }, ['spec.tagz']],
    ['an unknown top-level field', { metadata: {}, spec: {}, extra: 1 }, ['extra']],
    ['an unknown field in a list item', { spec: { tags: [{ name: 'a' }, { name: 'b', form: {} }] } }, ['spec.tags[1].form']],
    ['an unknown metadata field', { metadata: { nmae: 'x' } }, ['metadata.nmae']],
    ['any label and annotation keys', { metadata: { labels: { 'x/y': 'z' }, annotations: { anything: 'goes' } } }, []],
    ['status fields', { status: { dockerImageRepository: 'r', tags: [{ tag: 't', items: [{ created: 'x', image: 'i', bad: 1 }] }] } }, ['status.tags[0].items[0].bad']],
  ])('%s', (_name, body, expected) => {
    expect(unknownFields(body, imageStream, schemas)).toEqual(expected);
  });

  it('does not look inside embedded documents (dockerImageMetadata)', () => {
    expect(unknownFields({ dockerImageMetadata: { Anything: { Goes: 1 } }, dockerImageReference: 'x' }, image, schemas)).toEqual([]);
  });

  it('skips patch directives only in patch mode', () => {
    const patch = { spec: { $setElementOrder: [], tags: [{ name: 'a', $patch: 'delete' }] }, '$retainKeys': [] };
    expect(unknownFields(patch, imageStream, schemas, { directives: true })).toEqual([]);
    expect(unknownFields(patch, imageStream, schemas)).toEqual(['spec.$setElementOrder', 'spec.tags[0].$patch', '$retainKeys']);
  });

  it('checks the values and new keys of JSON patch operations', () => {
    const ops = [
      { op: 'add', path: '/spec/tags/-', value: { name: 'x', bogus: true } },
      { op: 'replace', path: '/spec/lookupPolicy', value: { local: true } },
      { op: 'add', path: '/spec/nope', value: 1 },
      { op: 'add', path: '/metadata/labels/new', value: 'v' },
      { op: 'remove', path: '/spec/whatever' },
    ];
    expect(unknownFieldsInJsonPatch(ops, imageStream, schemas)).toEqual(['spec.tags[-].bogus', 'spec.nope']);
  });

  it('counts the undeclared fields a copy or move writes', () => {
    const ops = [
      { op: 'copy', from: '/metadata/name', path: '/zz' },
      { op: 'move', from: '/spec/lookupPolicy', path: '/metadata/elsewhere' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'move', from: '/spec/tags/0', path: '/spec/tags/1' },
    ];
    expect(unknownFieldsInJsonPatch(ops, imageStream, schemas)).toEqual(['zz', 'metadata.elsewhere']);
  });
});

describe('fieldValidation outcomes', () => {
  it('defaults to Warn; an unsupported value is a cause of the options (ValidateFieldValidation), the empty one allowed', () => {
    expect(fieldValidationOf(undefined)).toBe('Warn');
    expect(fieldValidationOf('')).toBe('Warn');
    expect(fieldValidationOf('Strict')).toBe('Strict');
    expect(fieldValidationErrors('')).toEqual([]);
    expect(fieldValidationErrors('Ignore')).toEqual([]);
    expect(fieldValidationErrors('Loud').map(fieldErrorString)).toEqual(['fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"']);
  });

  it('Strict is a 400 naming every field; Warn gives Warning header values; Ignore nothing', () => {
    expect(() => unknownFieldOutcome('Strict', ['spec.a', 'b'])).toThrow('strict decoding error: unknown field "spec.a", unknown field "b"');
    expect(unknownFieldOutcome('Warn', ['spec.a'])).toEqual(['299 - "unknown field \\"spec.a\\""']);
    expect(unknownFieldOutcome('Ignore', ['spec.a'])).toEqual([]);
    expect(unknownFieldOutcome('Strict', [])).toEqual([]);
    // With the body's offsets, in text order; without, repeated keys first.
    const text = '{"x":1,"spec":{"a":1,"a":2}}';
    expect(() => unknownFieldOutcome('Strict', ['x'], '', { repeated: ['spec.a'], offsets: () => keyOffsets(text) })).toThrow(
      'strict decoding error: unknown field "x", duplicate field "spec.a"',
    );
    expect(unknownFieldOutcome('Warn', ['x'], '', { repeated: ['spec.a'] })).toEqual(['299 - "duplicate field \\"spec.a\\""', '299 - "unknown field \\"x\\""']);
  });
});

describe('pruneUnknownFields (Warn and Ignore drop what the type does not declare)', () => {
  it('drops unknown fields at every depth and keeps map keys', () => {
    const body = {
      metadata: { name: 'x', nmae: 'y', labels: { 'a/b': 'c' } },
      spec: { tagz: [], tags: [{ name: 't', bogus: 1, from: { kind: 'DockerImage', name: 'a', extra: 2 } }] },
      extra: true,
    };
    expect(pruneUnknownFields(body, imageStream, schemas)).toEqual({
      metadata: { name: 'x', labels: { 'a/b': 'c' } },
      spec: { tags: [{ name: 't', from: { kind: 'DockerImage', name: 'a' } }] },
    });
    expect(body.spec.tagz).toEqual([]); // the input is not changed
  });

  it('keeps embedded documents whole and patch directives in patch mode', () => {
    expect(pruneUnknownFields({ dockerImageMetadata: { Anything: 1 }, junk: 1 }, image, schemas)).toEqual({ dockerImageMetadata: { Anything: 1 } });
    const patch = { spec: { $setElementOrder: [], tags: [{ name: 'a', $patch: 'delete', junk: 1 }] } };
    expect(pruneUnknownFields(patch, imageStream, schemas, { directives: true })).toEqual({ spec: { $setElementOrder: [], tags: [{ name: 'a', $patch: 'delete' }] } });
  });

  it('drops JSON patch operations that add undeclared fields and prunes added values', () => {
    const ops = [
      { op: 'add', path: '/spec/nope', value: 1 },
      { op: 'add', path: '/spec/tags/-', value: { name: 'x', bogus: true } },
      { op: 'add', path: '/metadata/labels/new', value: 'v' },
      { op: 'remove', path: '/spec/whatever' },
    ];
    expect(pruneJsonPatch(ops, imageStream, schemas)).toEqual([
      { op: 'add', path: '/spec/tags/-', value: { name: 'x' } },
      { op: 'add', path: '/metadata/labels/new', value: 'v' },
      { op: 'remove', path: '/spec/whatever' },
    ]);
  });

  it('removes what a copy or move wrote to an undeclared field, right after it', () => {
    const ops = [
      { op: 'copy', from: '/metadata/name', path: '/zz' },
      { op: 'move', from: '/spec/lookupPolicy', path: '/metadata/elsewhere' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
    ];
    expect(pruneJsonPatch(ops, imageStream, schemas)).toEqual([
      { op: 'copy', from: '/metadata/name', path: '/zz' },
      { op: 'remove', path: '/zz' },
      { op: 'move', from: '/spec/lookupPolicy', path: '/metadata/elsewhere' },
      { op: 'remove', path: '/metadata/elsewhere' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
    ]);
  });
});
