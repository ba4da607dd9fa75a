import { type AccessPolicy, AUTHENTICATED_SUBJECT, grantedRepositoryActions, REPOSITORY_ACTIONS, type RepositoryAction } from './access-policy';

/** OpenShift's namespace of shared images and templates (`oc new-app` builders). */
export const SHARED_RESOURCES_NAMESPACE = 'openshift';

/** A project's `builder` service account, which system:image-builders binds in every project. */
export const builderServiceAccount = (namespace: string): string => `system:serviceaccount:${namespace}:builder`;

/** The default role binding that grants a registry action, and to whom (for review reasons). */
export interface RepositoryBindingGrant {
  binding: string;
  to: string;
}

/**
 * What OpenShift's default role bindings grant on image streams' layers: in every project
 * (openshift-controller-manager's defaultrolebindings) `system:image-pullers` binds
 * system:image-puller (pull) to the group `system:serviceaccounts:<ns>` and `system:image-builders`
 * binds system:image-builder (pull and push) to the service account `builder`; in the shared
 * `openshift` namespace (openshift-apiserver bootstrappolicy namespace_policy.go)
 * `shared-resource-viewers` lets the group `system:authenticated` pull. As RBAC, only the
 * subjects named count: a service account's groups must be given (impersonation adds them).
 */
export function defaultRepositoryBinding(subjects: readonly string[], action: RepositoryAction, namespace: string): RepositoryBindingGrant | null {
  if (namespace === '') return null;
  if (action === 'delete') return null;
  if (subjects.includes(builderServiceAccount(namespace))) return { binding: 'system:image-builders', to: 'its builder service account' };
  if (action !== 'pull') return null;
  if (subjects.includes(`system:serviceaccounts:${namespace}`)) return { binding: 'system:image-pullers', to: 'its service accounts' };
  if (namespace === SHARED_RESOURCES_NAMESPACE && subjects.includes(AUTHENTICATED_SUBJECT)) return { binding: 'shared-resource-viewers', to: 'every authenticated user' };
  return null;
}

/**
 * Every registry action `subjects` may take in a namespace: the access policy's grants and the
 * default role bindings, the one answer the API's reviews and the registry's tokens share.
 */
export function repositoryActionsOf(policy: AccessPolicy, subjects: readonly string[], namespace: string): Set<RepositoryAction> {
  const allowed = grantedRepositoryActions(policy, subjects, namespace);
  for (const action of REPOSITORY_ACTIONS) if (defaultRepositoryBinding(subjects, action, namespace)) allowed.add(action);
  return allowed;
}
