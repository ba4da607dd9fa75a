import { AUTHENTICATED_SUBJECT, builderServiceAccount, SHARED_RESOURCES_NAMESPACE } from '@app/config';
import type { RequestAttributes } from './request-attributes';

/** What the shared-resource-viewer role lets every authenticated user read in that namespace (openshift-apiserver bootstrappolicy namespace_policy.go). */
const SHARED_READABLE = new Set(['imagestreams', 'imagestreamtags', 'imagetags', 'imagestreamimages']);
const READ_VERBS = new Set(['get', 'list', 'watch']);

/**
 * The API rights OpenShift's default role bindings give beyond an access policy's grants (the
 * registry's pull and push ones are @app/config's defaultRepositoryBinding): in the shared `openshift` namespace,
 * `shared-resource-viewers` lets the group `system:authenticated` read image streams and their
 * tag and image views; in every project, `system:image-builders` binds system:image-builder, which
 * may create image streams (the registry creates one on a first push), to the `builder` service
 * account. As RBAC, only the subjects a review names count. Returns the reason, or null.
 */
export function defaultRoleBindingAllows(subjects: readonly string[], a: RequestAttributes): string | null {
  if (a.group !== 'image.openshift.io' && a.group !== '') return null;
  if (a.namespace === SHARED_RESOURCES_NAMESPACE && a.subresource === '' && SHARED_READABLE.has(a.resource) && READ_VERBS.has(a.verb) && subjects.includes(AUTHENTICATED_SUBJECT)) {
    return `the default role binding shared-resource-viewers of namespace ${SHARED_RESOURCES_NAMESPACE} lets every authenticated user read ${a.resource}`;
  }
  if (a.namespace !== '' && a.verb === 'create' && a.resource === 'imagestreams' && a.subresource === '' && subjects.includes(builderServiceAccount(a.namespace))) {
    return `the default role binding system:image-builders of namespace ${a.namespace} lets its builder service account create imagestreams`;
  }
  return null;
}
