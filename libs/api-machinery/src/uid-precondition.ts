import { ApiError, type ResourceRef } from './api-error';

/**
 * The etcd key an object of `ref` would have: kube-apiserver's built-in groups under `/registry`
 * by resource, openshift-apiserver's under `/openshift.io`, other groups (as a CRD's) under
 * `/registry/<group>`. Only ever shown, in the storage error a failed precondition prints.
 */
export function storageKeyOf(ref: ResourceRef, namespace: string, name: string): string {
  const builtIn = ref.group === '' || !ref.group.includes('.') || ref.group.endsWith('.k8s.io');
  const root = ref.group.endsWith('openshift.io') ? '/openshift.io' : builtIn ? '/registry' : `/registry/${ref.group}`;
  return `${root}/${ref.resource}/${namespace ? `${namespace}/` : ''}${name}`;
}

/**
 * A PUT whose metadata.uid is not the stored object's: 409, as the etcd store's precondition check
 * fails inside the update and kube-apiserver turns its storage error into a Conflict.
 */
export function uidPreconditionConflict(ref: ResourceRef, namespace: string, name: string, uid: string, storedUid: string | undefined): ApiError {
  const key = storageKeyOf(ref, namespace, name);
  return ApiError.conflict(
    ref,
    name,
    `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${uid}, UID in object meta: ${storedUid ?? ''}`,
  );
}
