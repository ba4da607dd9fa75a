import {
  ApiError,
  type ApiObject,
  type DeleteOptions,
  type DeletionPropagation,
  jsonEqual,
  nowTimestamp,
  type ResourceStrategy,
  successStatus,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import { appendChange } from '../change-log';
import type { Database, Queryable } from '../database';
import { allocateResourceVersion } from '../resource-version';
import { FOREGROUND_FINALIZER, finalizersAfterDelete, isGarbageCollectorFinalizer, ORPHAN_FINALIZER } from './deletion-finalizers';
import { garbageCollectorOf } from './garbage-collector';
import type { StoreHooks } from './store-hooks';
import type { StoredKind } from './stored-kind';

/**
 * The deletion path of a stored kind: deletes with their preconditions, finalizers and garbage
 * collection, marking for a deletion that completes later, and the removal of a locked row (which
 * the update dropping the last finalizer completes with too).
 */
export class Deleter<T extends ApiObject> {
  constructor(
    private readonly db: Database,
    private readonly kind: StoredKind<T>,
    private readonly strategy: Pick<ResourceStrategy<T>, 'garbageCollectionUnsupported'>,
    private readonly hooks: Pick<StoreHooks<T>, 'beforeRemove'>,
  ) {}

  /** Removes the locked row and logs the DELETED change; `old` is decorated. Returns the last state. */
  async removeLocked(tx: Queryable, old: T, propagation?: DeletionPropagation): Promise<T> {
    await this.hooks.beforeRemove?.(tx, old, propagation);
    const rv = await allocateResourceVersion(tx);
    await this.kind.storage.remove(tx, this.kind.nsKey(old.metadata.namespace ?? ''), old.metadata.name!);
    const last = this.kind.withType({ ...old, metadata: { ...old.metadata, resourceVersion: rv } });
    await appendChange(tx, this.kind.change(old, rv, 'DELETED', old, last));
    return last;
  }

  /**
   * A delete of an object with finalizers only marks it (deletionTimestamp, grace period 0); the
   * update that removes the last finalizer deletes it. The answer is the object, as upstream.
   */
  private async markDeleting(tx: Queryable, old: T, adjust?: (next: T) => void, dryRun = false, finalizers?: string[], graceful = true): Promise<object> {
    const refinalized = finalizers !== undefined && !jsonEqual(finalizers, old.metadata.finalizers ?? []);
    if (!old.metadata.deletionTimestamp || refinalized) {
      const next = structuredClone(old);
      if (!next.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = nowTimestamp();
        // As kube-apiserver's markAsDeleting: the first mark moves a generation that is set.
        if (next.metadata.generation !== undefined && next.metadata.generation > 0) next.metadata.generation += 1;
        adjust?.(next);
      }
      if (graceful) next.metadata.deletionGracePeriodSeconds = 0;
      if (finalizers?.length) next.metadata.finalizers = finalizers;
      else if (finalizers) delete next.metadata.finalizers;
      const rv = await allocateResourceVersion(tx);
      await this.kind.storage.update(tx, next, rv);
      await appendChange(tx, this.kind.change(next, rv, 'MODIFIED', old));
    }
    const stored = (await this.kind.storage.get(tx, this.kind.nsKey(old.metadata.namespace ?? ''), old.metadata.name!))!;
    await this.kind.decorate(tx, [stored]);
    // A dry run leaves the stored object, and so its resourceVersion, as it was.
    if (dryRun) stored.metadata.resourceVersion = old.metadata.resourceVersion;
    return this.kind.withType(stored);
  }

  /**
   * The first half of a delete that completes later (a namespace empties first): sets
   * deletionTimestamp (and what `adjust` changes, e.g. a Terminating phase and the finalizers the
   * delete asks for) in one MODIFIED change and answers the object; a later `delete` removes it.
   * Already marked: answered unchanged. 404 when missing. No deletionGracePeriodSeconds: kube's
   * namespace REST Delete marks the namespace itself, not through graceful deletion.
   */
  async markForDeletion(namespace: string, name: string, options: WriteOptions, adjust?: (next: T) => void): Promise<object> {
    return this.db.transaction(
      async (tx) => {
        // Read under the row lock: of concurrent deletes, one marks and the others see the mark.
        const old = await this.kind.storage.get(tx, this.kind.nsKey(namespace), name, true);
        if (!old) throw ApiError.notFound(this.kind.ref, name);
        return this.markDeleting(tx, old, adjust, options.dryRun, undefined, false);
      },
      { rollback: options.dryRun },
    );
  }

  /**
   * DeleteOptions.preconditions, checked on the object read (the row is locked), worded as
   * kube-apiserver's rest.BeforeDelete words them: the conflict names the kind, not the resource.
   */
  private checkDeletePreconditions(old: T, options: DeleteOptions): void {
    const pre = options.preconditions;
    const byKind = { group: this.kind.info.group, resource: this.kind.info.kind };
    const name = old.metadata.name!;
    // A precondition given as "" is still one (Go's *string is set): it matches no stored object.
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw ApiError.conflict(
        byKind,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw ApiError.conflict(
        byKind,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
      );
    }
  }

  /**
   * What Kubernetes' garbage collector does last for an object marked with `orphan` or
   * `foregroundDeletion`, once its dependents were orphaned or deleted (see GarbageCollector):
   * it removes its finalizer. Watchers saw the DELETE's MODIFIED (the object carrying the
   * finalizer, as the DELETE answered it), then this: DELETED (still carrying it), or MODIFIED
   * while other finalizers hold the object. The Deliveries of a Trigger or workload go with the
   * policy the finalizer stands for (beforeRemove). Nothing is done when the object is gone, is
   * another one now (recreated) or no longer carries the finalizer.
   */
  private async collectGarbage(tx: Queryable, namespace: string, name: string, uid: string | undefined): Promise<void> {
    const marked = await this.kind.storage.get(tx, this.kind.nsKey(namespace), name, true);
    if (!marked || marked.metadata.uid !== uid) return;
    const finalizers = marked.metadata.finalizers ?? [];
    if (!finalizers.some(isGarbageCollectorFinalizer)) return;
    const remaining = finalizers.filter((f) => !isGarbageCollectorFinalizer(f));
    if (remaining.length) {
      const next = structuredClone(marked);
      next.metadata.finalizers = remaining;
      const rv = await allocateResourceVersion(tx);
      await this.kind.storage.update(tx, next, rv);
      await appendChange(tx, this.kind.change(next, rv, 'MODIFIED', marked));
      return;
    }
    await this.kind.decorate(tx, [marked]);
    const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : 'Foreground';
    // Kubernetes' collector removes its finalizer with an update, which deletes the stored state:
    // the DELETED event carries the finalizer, as the one after a user's last finalizer does.
    await this.removeLocked(tx, marked, policy);
  }

  async delete(namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    const { result, collect } = await this.db.transaction(
      async (tx): Promise<{ result: WriteResult; collect: { owner: T; policy: DeletionPropagation; marked: boolean } | null }> => {
        const old = await this.kind.storage.get(tx, this.kind.nsKey(namespace), name, true);
        if (!old) throw ApiError.notFound(this.kind.ref, name);
        this.checkDeletePreconditions(old, options);
        const finalizers = finalizersAfterDelete(old.metadata.finalizers ?? [], options.propagationPolicy, this.strategy.garbageCollectionUnsupported);
        if (finalizers.length) {
          const marked = await this.markDeleting(tx, old, undefined, options.dryRun, finalizers);
          const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : null;
          return { result: { code: 200, body: marked }, collect: policy ? { owner: old, policy, marked: true } : null };
        }
        await this.kind.decorate(tx, [old]);
        await this.removeLocked(tx, old, options.propagationPolicy);
        return {
          result: { code: 200, body: successStatus({ name, group: this.kind.info.group, kind: this.kind.ref.resource, uid: old.metadata.uid }) },
          collect: this.strategy.garbageCollectionUnsupported ? null : { owner: old, policy: options.propagationPolicy ?? 'Background', marked: false },
        };
      },
      { rollback: options.dryRun },
    );
    // Committed: the collector's part, before the answer (a client sees its effects at once).
    if (collect && !options.dryRun) {
      await garbageCollectorOf(this.db).ownerDeleted(collect.owner, collect.policy);
      if (collect.marked) await this.db.transaction((tx) => this.collectGarbage(tx, namespace, name, collect.owner.metadata.uid));
    }
    return result;
  }
}
