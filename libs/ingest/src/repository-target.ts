import { fieldErrorString, validateNamespaceName } from '@app/api-machinery';
import { validateImageStreamName } from '@app/image';

/** Where a registry repository lands: namespace `ns` and stream `name` for `ns/name`. */
export type RepositoryTarget = { namespace: string; name: string } | { ignored: string };

/**
 * `ns/name` → namespace `ns`, stream `name` (as the integrated registry maps repositories). Any
 * other shape, or names the image API would refuse, is ignored with the reason recorded.
 */
export function repositoryTarget(repository: string): RepositoryTarget {
  const parts = repository.split('/');
  if (parts.length !== 2) {
    return { ignored: `repository "${repository}" is not of the form <namespace>/<name> (${parts.length} path component${parts.length === 1 ? '' : 's'})` };
  }
  const [namespace, name] = parts as [string, string];
  const errors = [...validateNamespaceName(namespace, 'namespace'), ...validateImageStreamName(namespace, name)];
  if (errors.length) {
    return { ignored: `repository "${repository}" does not map to an image stream: ${errors.map(fieldErrorString).join('; ')}` };
  }
  return { namespace, name };
}
