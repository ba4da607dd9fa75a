import {
  ApiError,
  type ApiObject,
  apiVersionOf,
  checkNamespaceOnCreate,
  decodeTypedBody,
  type FieldError,
  fieldErr,
  omitEmptyMetadata,
  refOf,
  type ResourceInfo,
  validateAnnotations,
  validateFinalizers,
  validateLabels,
  validateNamespaceName,
  validateOwnerReferences,
  validatePathSegmentName,
} from '@app/api-machinery';

/** Shape checks every write body gets before any rule runs. */
export function decodeWriteBody<T extends ApiObject>(info: ResourceInfo, body: unknown, namespace: string): T {
  const obj = decodeTypedBody<T>(body, info.kind, apiVersionOf(info));
  omitEmptyMetadata(obj.metadata);
  if (info.namespaced) {
    checkNamespaceOnCreate(obj.metadata.namespace, namespace);
    obj.metadata.namespace = namespace;
  } else {
    delete obj.metadata.namespace;
  }
  delete obj.kind;
  delete obj.apiVersion;
  return obj;
}

/** The ObjectMeta rules every create and update of a stored kind is checked against. */
export function validateObjectMeta(info: ResourceInfo, obj: ApiObject): FieldError[] {
  const m = obj.metadata;
  const errors: FieldError[] = [];
  // The prefix itself is checked first, as ValidateObjectMeta does (kinds' own name rules then
  // check the generated name).
  if (m.generateName) errors.push(...validatePathSegmentName(m.generateName, 'metadata.generateName', true));
  if (!m.name) errors.push(fieldErr.required('metadata.name', 'name or generateName is required'));
  else errors.push(...validatePathSegmentName(m.name));
  if (info.namespaced) {
    if (!m.namespace) errors.push(fieldErr.required('metadata.namespace'));
    else errors.push(...validateNamespaceName(m.namespace));
  }
  errors.push(...validateLabels(m.labels));
  errors.push(...validateAnnotations(m.annotations));
  errors.push(...validateOwnerReferences((m as Record<string, unknown>)['ownerReferences']));
  errors.push(...validateFinalizers(m.finalizers));
  return errors;
}

/** While an object waits for its finalizers, no new one may be added (apimachinery's ValidateObjectMetaUpdate). */
export function validateFinalizerUpdate(obj: ApiObject, old: ApiObject): FieldError[] {
  if (!old.metadata.deletionTimestamp) return [];
  const before = new Set(old.metadata.finalizers ?? []);
  const added = (obj.metadata.finalizers ?? []).filter((f) => !before.has(f));
  if (!added.length) return [];
  return [fieldErr.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`)];
}

/** The 422 Invalid answer to a write of `obj`, named as the request named it. */
export function invalidObject(info: ResourceInfo, obj: ApiObject, errors: FieldError[]): ApiError {
  return ApiError.invalid(refOf(info), obj.metadata.name ?? obj.metadata.generateName ?? '', errors);
}
