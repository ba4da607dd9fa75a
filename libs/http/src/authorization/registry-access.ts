import { type AccessPolicy, defaultRepositoryBinding, grantedRepositoryActions, type RepositoryAction } from '@app/config';

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

/** Every verb (`*`) is only ever matched by a rule listing `*` itself, which kube's aggregate roles never do. */
export const EVERY_VERB_REFUSAL = 'no role here holds every group, resource or verb (*)';

/**
 * A question about `imagestreams/layers` with a verb that is neither pull nor push: OpenShift's
 * roles grant layers get and update only, and cluster-admin's `*` is not a role here.
 */
export function layersVerbRefusal(verb: string): { allowed: false; reason: string } {
  return {
    allowed: false,
    reason: verb === '*' ? EVERY_VERB_REFUSAL : 'image stream layers serve only get (pull) and update (push), which the registry actions grant',
  };
}

/**
 * A review's status for a registry question: the access policy's grant to `subjects` in the
 * attributes' namespace, or the namespace's default role binding for its service accounts.
 */
export function registryAccessStatus(policy: AccessPolicy, subjects: string[], action: RepositoryAction, attributes: Record<string, unknown>): { allowed: boolean; reason: string } {
  const where = str(attributes['namespace']);
  const place = where === '' ? 'every namespace' : `namespace ${where}`;
  if (grantedRepositoryActions(policy, subjects, where).has(action)) return { allowed: true, reason: `access policy grants ${action} in ${place}` };
  const binding = defaultRepositoryBinding(subjects, action, where);
  if (binding) return { allowed: true, reason: `the default role binding ${binding.binding} of ${place} grants ${action} to ${binding.to}` };
  return { allowed: false, reason: `access policy does not grant ${action} in ${place}` };
}
