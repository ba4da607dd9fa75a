import { AUTHENTICATED_SUBJECT, builderServiceAccount, SHARED_RESOURCES_NAMESPACE } from '@app/config';
import type { ResourceRule, ServedKind } from './api-authorizer';
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

/**
 * The rules behind defaultRoleBindingAllows in `namespace`, for a SelfSubjectRulesReview (`kubectl
 * auth can-i --list` lists what `can-i <verb>` allows): the shared namespace's stream reads, each
 * kind with the read verbs it serves, and the builder service account's stream create. Both
 * groups, as the decision takes the legacy group "" too (OpenShift's roles name both).
 */
export function defaultRoleBindingRules(subjects: readonly string[], namespace: string, kinds: readonly ServedKind[]): ResourceRule[] {
  const groups = ['image.openshift.io', ''];
  const rules: ResourceRule[] = [];
  if (namespace === SHARED_RESOURCES_NAMESPACE && subjects.includes(AUTHENTICATED_SUBJECT)) {
    const byVerbs = new Map<string, string[]>();
    for (const kind of kinds) {
      if (kind.group !== 'image.openshift.io' || !SHARED_READABLE.has(kind.resource)) continue;
      const verbs = [...READ_VERBS].filter((v) => kind.verbs?.includes(v) ?? true);
      if (verbs.length > 0) byVerbs.set(verbs.join(','), [...(byVerbs.get(verbs.join(',')) ?? []), kind.resource]);
    }
    for (const [verbs, resources] of byVerbs) rules.push({ verbs: verbs.split(','), apiGroups: groups, resources: resources.sort() });
  }
  if (namespace !== '' && subjects.includes(builderServiceAccount(namespace))) {
    rules.push({ verbs: ['create'], apiGroups: groups, resources: ['imagestreams'] });
  }
  return rules;
}
