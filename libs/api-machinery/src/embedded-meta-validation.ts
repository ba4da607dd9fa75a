import { type FieldError, fieldErr } from './field-errors';
import { validateAnnotations, validateLabels, validateNamespaceName, validatePathSegmentName } from './name-validation';
import type { ObjectMeta } from './object-meta.types';
import { validateFinalizers, validateOwnerReferences } from './owner-validation';

/**
 * apimachinery's ValidateObjectMeta, in its order, for metadata no store validates: a mapping's,
 * the Image inside it, an Image's signatures. `path` is the metadata's own path (`metadata`,
 * `image.metadata`, `signatures[0].metadata`); names are path segments.
 */
export function validateEmbeddedObjectMeta(meta: ObjectMeta, path: string, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (meta.generateName) errors.push(...validatePathSegmentName(meta.generateName, `${path}.generateName`, true));
  if (!meta.name) errors.push(fieldErr.required(`${path}.name`, 'name or generateName is required'));
  else errors.push(...validatePathSegmentName(meta.name, `${path}.name`));
  if (namespaced) {
    if (!meta.namespace) errors.push(fieldErr.required(`${path}.namespace`));
    else errors.push(...validateNamespaceName(meta.namespace, `${path}.namespace`));
  } else if (meta.namespace) {
    errors.push(fieldErr.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    errors.push(fieldErr.invalid(`${path}.generation`, meta.generation, 'must be greater than or equal to 0'));
  }
  errors.push(
    ...validateLabels(meta.labels, `${path}.labels`),
    ...validateAnnotations(meta.annotations, `${path}.annotations`),
    ...validateOwnerReferences((meta as Record<string, unknown>)['ownerReferences'], `${path}.ownerReferences`),
    ...validateFinalizers(meta.finalizers, `${path}.finalizers`),
  );
  return errors;
}
