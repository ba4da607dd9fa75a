import { META, typeMetaFields } from './meta-schemas';
import { type FieldsOf, type Schema, s } from './schema';

type Top<T> = FieldsOf<Omit<T, 'kind' | 'apiVersion'>>;

/**
 * Builders for the top-level kinds of one API group: `prefix` is the group's definition-name
 * prefix (e.g. `com.github.openshift.api.image.v1`).
 */
export function kindSchemas(group: string, version: string, prefix: string) {
  const gvk = (kind: string) => [{ group, kind, version }];
  return {
    /** A top-level kind: its fields plus kind/apiVersion, tagged with its group-version-kind. */
    kind<T>(this: void, name: string, description: string, fields: Top<T>, required: string[] = []): Schema {
      return s.object<Omit<T, 'kind' | 'apiVersion'>>(description, fields, typeMetaFields, {
        ...(required.length ? { required } : {}),
        'x-kubernetes-group-version-kind': gvk(name),
      });
    },
    /** The list kind of `item`. */
    list(this: void, name: string, item: string, description: string): Schema {
      return {
        type: 'object',
        description,
        required: ['items'],
        properties: {
          ...typeMetaFields,
          metadata: s.ref(`${META}.ListMeta`, 'Standard list metadata.'),
          items: s.array(s.ref(`${prefix}.${item}`), `Items is a list of ${item} objects.`),
        },
        'x-kubernetes-group-version-kind': gvk(name),
      };
    },
  };
}
