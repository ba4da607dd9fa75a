import { Logger } from '@nestjs/common';
import { ApiError, type ApiObject, type DeleteOptions, type DeletionPropagation } from '@app/api-machinery';
import type { Database } from '../database';
import type { TableStorage } from './table-storage';

/** What the collector needs of a stored kind whose objects can be dependents. */
export interface CollectedKind {
  resource: string;
  storage: TableStorage<ApiObject>;
  /** The kind's own delete (preconditions, finalizers, hooks, its own dependents). */
  delete(namespace: string, name: string, options: DeleteOptions): Promise<unknown>;
  /** Rewrites the stored object under its row lock (a MODIFIED change when it changed). */
  update(namespace: string, name: string, change: (current: ApiObject) => ApiObject): Promise<void>;
}

interface Dependent {
  resource: string;
  namespace: string;
  name: string;
  body: ApiObject;
}

type OwnerReference = { uid?: unknown };

/**
 * Kubernetes' garbage collector for the objects stored here: when an owner goes, its dependents
 * (objects whose metadata.ownerReferences name its uid) go too, or are orphaned, as the delete's
 * propagation policy says. kube-controller-manager does this asynchronously from its graph of
 * every object; here the delete that removed (or marked) the owner does it once its transaction
 * has committed, before it answers:
 * - Background (the default), and Foreground: a dependent with no other owner is deleted with the
 *   same policy (its own dependents follow); one that has others only loses the reference.
 *   Foreground differs in order: the owner, marked with `foregroundDeletion`, is removed after its
 *   dependents (the caller removes the finalizer once this returns).
 * - Orphan: each dependent loses the reference and stays.
 * Dependents already being deleted (a deletionTimestamp) are left to finish, which also stops
 * cycles. Not done: waiting for a dependent whose own finalizers hold it (kube keeps a Foreground
 * owner until then; here the owner goes once its dependents are deleted or marked), collecting a
 * dependent whose owner never existed, and retrying after a failure (logged; kube retries).
 */
export class GarbageCollector {
  private readonly log = new Logger('GarbageCollector');
  private readonly kinds = new Map<string, CollectedKind>();

  constructor(private readonly db: Database) {}

  /** Adds a kind whose objects may be dependents (the first registration of a resource counts). */
  register(kind: CollectedKind): void {
    if (!this.kinds.has(kind.resource)) this.kinds.set(kind.resource, kind);
  }

  /** Handles the dependents of `owner`, which a delete with `policy` removed or marked. Never throws. */
  async ownerDeleted(owner: ApiObject, policy: DeletionPropagation): Promise<void> {
    const uid = owner.metadata.uid;
    if (!uid || this.kinds.size === 0) return;
    try {
      for (const dependent of await this.dependentsOf(uid, owner.metadata.namespace ?? '')) {
        await this.settle(dependent, uid, policy);
      }
    } catch (e) {
      this.log.warn(`dependents of ${owner.metadata.namespace ? `${owner.metadata.namespace}/` : ''}${owner.metadata.name} (uid ${uid}) not collected: ${(e as Error).message}`);
    }
  }

  private async settle(d: Dependent, ownerUid: string, policy: DeletionPropagation): Promise<void> {
    const kind = this.kinds.get(d.resource)!;
    const others = ownerReferencesOf(d.body).filter((r) => r.uid !== ownerUid);
    const deleteIt = policy !== 'Orphan' && others.length === 0;
    if (deleteIt && d.body.metadata.deletionTimestamp) return;
    await ignoringGone(
      deleteIt
        ? kind.delete(d.namespace, d.name, { dryRun: false, propagationPolicy: policy, preconditions: { uid: d.body.metadata.uid } })
        : kind.update(d.namespace, d.name, (current) => withoutOwner(current, ownerUid, d.body.metadata.uid)),
    );
  }

  /**
   * Every stored object naming `uid` among its owners: in the owner's namespace (a namespaced
   * object's owners are in its namespace or cluster-scoped), anywhere for a cluster-scoped owner.
   * The `?` test matches the tables' partial indexes (migration OwnerReferenceIndexes).
   */
  private async dependentsOf(uid: string, namespace: string): Promise<Dependent[]> {
    const params: unknown[] = [JSON.stringify([{ uid }]), namespace];
    const selects = [...this.kinds.values()]
      .filter((k) => k.storage.namespaced || namespace === '')
      .map((k) => {
        const inNamespace = k.storage.namespaced ? (namespace ? 'namespace = $2 AND ' : '') : '';
        const ns = k.storage.namespaced ? 'namespace' : `''::text`;
        // Only the metadata is read: a Secret's data has no part in this.
        return `SELECT '${k.resource}'::text AS resource, ${ns} AS namespace, name, jsonb_build_object('metadata', body->'metadata') AS body FROM ${k.storage.table}
                 WHERE ${inNamespace}body->'metadata' ? 'ownerReferences' AND body->'metadata'->'ownerReferences' @> $1::jsonb`;
      });
    if (!selects.length) return [];
    return this.db.query<Dependent>(`${selects.join(' UNION ALL ')} ORDER BY 1, 2, 3`, params);
  }
}

function ownerReferencesOf(obj: ApiObject): OwnerReference[] {
  const refs = (obj.metadata as { ownerReferences?: unknown }).ownerReferences;
  return Array.isArray(refs) ? (refs as OwnerReference[]) : [];
}

/** The object without its references to `ownerUid`; unchanged when it is another object now (recreated). */
function withoutOwner(current: ApiObject, ownerUid: string, dependentUid: string | undefined): ApiObject {
  if (current.metadata.uid !== dependentUid) return current;
  const meta = current.metadata as ApiObject['metadata'] & { ownerReferences?: OwnerReference[] };
  const kept = ownerReferencesOf(current).filter((r) => r.uid !== ownerUid);
  if (kept.length) meta.ownerReferences = kept;
  else delete meta.ownerReferences;
  return current;
}

/** A dependent deleted or recreated meanwhile is not an error: there is nothing left to do for it. */
async function ignoringGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
    throw e;
  }
}

const collectors = new WeakMap<Database, GarbageCollector>();

/** The collector of the stores on `db` (one per application instance). */
export function garbageCollectorOf(db: Database): GarbageCollector {
  let gc = collectors.get(db);
  if (!gc) {
    gc = new GarbageCollector(db);
    collectors.set(db, gc);
  }
  return gc;
}
