import { ApiError, refOf } from '@app/api-machinery';
import { namespacesInfo } from './namespace.types';

/**
 * The namespaces a cluster always has: kube-apiserver's bootstrap controller creates `default`,
 * its system-namespaces controller `kube-system`, `kube-public` and `kube-node-lease`. Clients
 * take them for granted (`kubectl get ns default`, kubectl's default namespace).
 */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Those NamespaceLifecycle admission never lets anyone delete (kube-node-lease is recreated instead). */
const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public']);

/** 403 as NamespaceLifecycle admission answers a delete of `default`, `kube-system` or `kube-public`. */
export function assertDeletable(name: string): void {
  if (IMMORTAL_NAMESPACES.has(name)) throw ApiError.forbiddenOn(refOf(namespacesInfo), name, 'this namespace may not be deleted');
}
