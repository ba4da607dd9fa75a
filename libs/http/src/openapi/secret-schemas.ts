import { CORE, META, typeMetaFields } from './meta-schemas';
import { kindSchemas } from './kind-schemas';
import { type Schema, s } from './schema';

const { list } = kindSchemas('', 'v1', CORE);

/**
 * core/v1 Secret (k8s.io/api core/v1 types.go descriptions): field validation drops unknown
 * fields and refuses data values that are not base64, as kube-apiserver's decoder does.
 */
export const secretSchemas: Record<string, Schema> = {
  [`${CORE}.Secret`]: {
    type: 'object',
    description:
      'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes. Here lists and watches answer Secrets without data; a GET of one Secret has it.',
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      data: s.map(
        s.bytes(''),
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
      ),
      stringData: s.stringMap(
        'stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience. All keys and values are merged into the data field on write, overwriting any existing values. The stringData field is never output when reading from the API.',
      ),
      type: s.string('Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
      immutable: s.boolean(
        'Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil.',
      ),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Secret', version: 'v1' }],
  },
  [`${CORE}.SecretList`]: list('SecretList', 'Secret', 'SecretList is a list of Secret.'),
};
