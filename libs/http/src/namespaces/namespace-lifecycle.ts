import { ApiError, refOf, type ResourceInfo } from '@app/api-machinery';
import type { ChangeRecord } from '@app/persistence';
import type { Namespace } from './namespace.types';

/**
 * An access review is never refused for its namespace's state (the plugin's isAccessReview:
 * answering about the namespace would leak it), and creates nothing.
 */
const isAccessReview = (info: ResourceInfo): boolean => info.group === 'authorization.k8s.io' && info.resource === 'localsubjectaccessreviews';

/**
 * kube-apiserver's NamespaceLifecycle admission for creates: nothing new may be created in a
 * namespace that is terminating. Like the upstream plugin it answers from an informer-style set
 * (loaded at start, kept current from this process's change feed, and marked at once when this
 * process deletes a namespace), so the check costs no query on the write path. Updates and
 * deletes stay allowed: finalizers must still be removable.
 */
export class NamespaceLifecycle {
  private readonly terminating = new Set<string>();

  /** Seeds the set from the stored namespaces. */
  load(namespaces: Namespace[]): void {
    for (const ns of namespaces) this.observe(ns.metadata.name!, ns);
  }

  /** Applies one change-feed record (namespaces only). */
  onChange(change: ChangeRecord): void {
    if (change.resource !== 'namespaces') return;
    this.observe(change.name, change.type === 'DELETED' ? undefined : (change.object as Namespace));
  }

  /** This process just marked `name` for deletion (before its change reaches the feed). */
  markTerminating(name: string): void {
    this.terminating.add(name);
  }

  private observe(name: string, ns: Namespace | undefined): void {
    if (ns?.metadata.deletionTimestamp) this.terminating.add(name);
    else this.terminating.delete(name);
  }

  isTerminating(namespace: string): boolean {
    return this.terminating.has(namespace);
  }

  /** 403 with the NamespaceTerminating cause, as upstream, when `namespace` is being deleted. */
  assertCreatable(info: ResourceInfo, namespace: string, name: string | undefined): void {
    if (!info.namespaced || !this.terminating.has(namespace) || isAccessReview(info)) return;
    throw ApiError.forbiddenOn(refOf(info), name ?? '', `unable to create new content in namespace ${namespace} because it is being terminated`, [
      { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
    ]);
  }
}
