import type { RequestAccess } from '@app/config';

/**
 * Whether an import may read `repository` (a v2 path, `<namespace>/<name>`) of the configured
 * registry with the server's own login (REGISTRY_USERNAME/REGISTRY_PASSWORD). Otherwise the
 * registry is asked anonymously and judges the request as it judges anyone's.
 */
export type ServiceCredentialRule = (repository: string) => boolean;

/** Access control off: the API is open to all, so the login may read every repository. */
export const everyRepository: ServiceCredentialRule = () => true;

/**
 * Upstream imports with the pull secrets of the importing stream's namespace, so the registry
 * reads another namespace's image only when that namespace may pull it. Here the login reads
 * everything, so it serves (with API_AUTHENTICATION=true) only what the import could read
 * itself: a repository of the importing stream's namespace, or one of a namespace the calling
 * user may pull from (`get imagestreams/layers`, as for tagging from another namespace). Imports
 * without a caller (the background and scheduled imports) get only their own namespace.
 */
export function serviceCredentialRule(accessControl: boolean, importingNamespace: string, caller: RequestAccess | undefined): ServiceCredentialRule {
  if (!accessControl) return everyRepository;
  return (repository) => {
    const slash = repository.indexOf('/');
    // One path component names no namespace: no image stream's repository, nobody's to read.
    if (slash <= 0) return false;
    const namespace = repository.slice(0, slash);
    if (namespace === importingNamespace) return true;
    const name = repository.slice(slash + 1);
    return !!caller?.can({ verb: 'get', group: 'image.openshift.io', resource: 'imagestreams', subresource: 'layers', namespace, name }).allowed;
  };
}
