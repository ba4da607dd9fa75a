import { type AccessPolicy, AUTHENTICATED_SUBJECT, grantedRepositoryActions, type RepositoryAction } from '@app/config';
import { SHARED_RESOURCES_NAMESPACE } from './default-role-bindings';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Attributes naming `imagestreams/layers` (either group; the resource may come whole), whatever the verb. */
export function isLayers(attributes: Record<string, unknown>): boolean {
  if (!['image.openshift.io', ''].includes(str(attributes['group']))) return false;
  const resource = str(attributes['resource']);
  const subresource = str(attributes['subresource']);
  return (resource === 'imagestreams' && subresource === 'layers') || (resource === 'imagestreams/layers' && subresource === '');
}

/**
 * What the integrated registry asks (OpenShift's registry: an access review on
 * `imagestreams/layers` of group image.openshift.io, `get` to pull and `update` to push; the
 * resource may come whole as `imagestreams/layers`): the registry action it stands for, else null.
 * The legacy group "" asks the same: OpenShift's roles grant the layers in both groups.
 */
export function registryActionOf(attributes: Record<string, unknown> | undefined): RepositoryAction | null {
  if (!attributes || !isLayers(attributes)) return null;
  const verb = str(attributes['verb']);
  return verb === 'get' ? 'pull' : verb === 'update' ? 'push' : null;
}

/**
 * What OpenShift's default role bindings grant on image streams: in every project
 * (openshift-controller-manager's defaultrolebindings) `system:image-pullers` binds
 * system:image-puller (pull) to the group `system:serviceaccounts:<ns>` and `system:image-builders`
 * binds system:image-builder (pull and push) to the service account `builder`; in the shared
 * `openshift` namespace (openshift-apiserver bootstrappolicy namespace_policy.go)
 * `shared-resource-viewers` lets the group `system:authenticated` pull. As RBAC, only the
 * subjects the review names count: a service account's groups must be given.
 */
function defaultBindingGrant(subjects: readonly string[], action: RepositoryAction, namespace: string): { binding: string; to: string } | null {
  if (namespace === '') return null;
  if (subjects.includes(`system:serviceaccount:${namespace}:builder`)) return { binding: 'system:image-builders', to: 'its builder service account' };
  if (action !== 'pull') return null;
  if (subjects.includes(`system:serviceaccounts:${namespace}`)) return { binding: 'system:image-pullers', to: 'its service accounts' };
  if (namespace === SHARED_RESOURCES_NAMESPACE && subjects.includes(AUTHENTICATED_SUBJECT)) return { binding: 'shared-resource-viewers', to: 'every authenticated user' };
  return null;
}

/**
 * A review's status for a registry question: the access policy's grant to `subjects` in the
 * attributes' namespace, or the namespace's default role binding for its service accounts.
 */
export function registryAccessStatus(policy: AccessPolicy, subjects: string[], action: RepositoryAction, attributes: Record<string, unknown>): { allowed: boolean; reason: string } {
  const where = str(attributes['namespace']);
  const place = where === '' ? 'every namespace' : `namespace ${where}`;
  if (grantedRepositoryActions(policy, subjects, where).has(action)) return { allowed: true, reason: `access policy grants ${action} in ${place}` };
  const binding = defaultBindingGrant(subjects, action, where);
  if (binding) return { allowed: true, reason: `the default role binding ${binding.binding} of ${place} grants ${action} to ${binding.to}` };
  return { allowed: false, reason: `access policy does not grant ${action} in ${place}` };
}
