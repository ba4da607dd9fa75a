import { type AccessPolicy, grantedRepositoryActions, type RepositoryAction } from '@app/config';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * What the integrated registry asks (OpenShift's registry: an access review on
 * `imagestreams/layers` of group image.openshift.io, `get` to pull and `update` to push; the
 * resource may come whole as `imagestreams/layers`): the registry action it stands for, else null.
 */
export function registryActionOf(attributes: Record<string, unknown> | undefined): RepositoryAction | null {
  if (!attributes || str(attributes['group']) !== 'image.openshift.io') return null;
  const resource = str(attributes['resource']);
  const subresource = str(attributes['subresource']);
  const layers = (resource === 'imagestreams' && subresource === 'layers') || (resource === 'imagestreams/layers' && subresource === '');
  if (!layers) return null;
  const verb = str(attributes['verb']);
  return verb === 'get' ? 'pull' : verb === 'update' ? 'push' : null;
}

/** A review's status for a registry question: the access policy's grant to `subjects` in the attributes' namespace. */
export function registryAccessStatus(policy: AccessPolicy, subjects: string[], action: RepositoryAction, attributes: Record<string, unknown>): { allowed: boolean; reason: string } {
  const where = str(attributes['namespace']);
  const allowed = grantedRepositoryActions(policy, subjects, where).has(action);
  return { allowed, reason: `access policy ${allowed ? 'grants' : 'does not grant'} ${action} in ${where === '' ? 'every namespace' : `namespace ${where}`}` };
}
