import type { ImageSignature } from '../image/image.types';
import { splitImageSignatureName, validateImageSignature } from './imagesignature.validation';

const sig = (extra: Partial<ImageSignature> = {}): ImageSignature => ({ metadata: { name: 'sha256:abc@sig1' }, type: 'AtomicImageV1', content: 'YmxvYg==', ...extra });
const trusted = [
  { type: 'Trusted', status: 'True' },
  { type: 'ForImage', status: 'True' },
];

describe('ImageSignature validation', () => {
  it.each([
    ['sha256:abc@sig', { image: 'sha256:abc', signature: 'sig' }],
    ['nosig', null],
    ['a@b@c', null],
    ['@b', null],
    ['a@', null],
  ])('splitImageSignatureName(%j)', (name, expected) => {
    expect(splitImageSignatureName(name)).toEqual(expected);
  });

  it.each<[string, ImageSignature, string[]]>([
    ['a valid signature', sig(), []],
    ['no name', sig({ metadata: {} }), ['metadata.name: FieldValueRequired', 'metadata.name: FieldValueInvalid']],
    ['a name without @', sig({ metadata: { name: 'image' } }), ['metadata.name: FieldValueInvalid']],
    ['labels and annotations', sig({ metadata: { name: 'i@s', labels: { a: 'b' }, annotations: { c: 'd' } } }), ['metadata.labels: FieldValueForbidden', 'metadata.annotations: FieldValueForbidden']],
    ['no type or content', sig({ type: '', content: '' }), ['type: FieldValueRequired', 'content: FieldValueRequired']],
    ['Trusted without ForImage', sig({ conditions: [trusted[0]!] }), ['conditions: FieldValueInvalid']],
    ['ForImage without Trusted', sig({ conditions: [trusted[1]!], imageIdentity: 'x' }), ['conditions: FieldValueInvalid', 'imageIdentity: FieldValueInvalid']],
    ['claims of an untrusted signature', sig({ signedClaims: { a: 'b' }, issuedBy: { commonName: 'me' } }), ['signedClaims: FieldValueInvalid', 'issuedBy: FieldValueInvalid']],
    [
      'ObjectMeta as a cluster-scoped object\'s (apimachinery order)',
      sig({
        metadata: { name: 'sha256:abc@sig1', generateName: 'a/', namespace: 'ns', generation: -1, finalizers: ['not a name'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'n', uid: '' }] } as ImageSignature['metadata'],
      }),
      [
        'metadata.generateName: FieldValueInvalid',
        'metadata.namespace: FieldValueForbidden',
        'metadata.generation: FieldValueInvalid',
        'metadata.ownerReferences.uid: FieldValueInvalid',
        'metadata.finalizers: FieldValueInvalid',
        // core ValidateObjectMeta (which upstream calls) adds its own finalizer rule after apimachinery's.
        'metadata.finalizers[0]: FieldValueInvalid',
      ],
    ],
    ['claims of a trusted signature', sig({ conditions: trusted, imageIdentity: 'x', issuedTo: { publicKeyID: 'k' } }), []],
  ])('%s', (_name, s, expected) => {
    expect(validateImageSignature(s).map((e) => `${e.field}: ${e.type}`)).toEqual(expected);
  });

  it('prefixes paths inside an Image', () => {
    expect(validateImageSignature(sig({ type: '' }), 'signatures[2]').map((e) => e.field)).toEqual(['signatures[2].type']);
  });
});
