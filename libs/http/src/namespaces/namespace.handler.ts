import {
  ApiError,
  applyPatchDocument,
  type DeleteOptions,
  type ListOptions,
  nowTimestamp,
  type PatchType,
  refOf,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import type { GenericStore, ResourceHandler } from '@app/persistence';
import { namespaceFinalizersOnDelete } from './namespace-delete-finalizers';
import type { NamespaceLifecycle } from './namespace-lifecycle';
import type { NamespaceTerminator } from './namespace-terminator';
import { NAME_LABEL, type Namespace, namespacesInfo } from './namespace.types';
import { assertDeletable, SYSTEM_NAMESPACES } from './system-namespaces';

/** A namespace nobody created that holds objects: every name is usable here (objects need no Namespace first). */
function implicitNamespace(name: string): Namespace {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name, labels: { [NAME_LABEL]: name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** The first delete's mark: Terminating, and the garbage-collection finalizers the delete asks for. */
function markTerminating(ns: Namespace, options: DeleteOptions): void {
  ns.status = { ...ns.status, phase: 'Terminating' };
  const finalizers = namespaceFinalizersOnDelete(ns.metadata.finalizers ?? [], options);
  if (finalizers.length) ns.metadata.finalizers = finalizers;
  else delete ns.metadata.finalizers;
}

function terminating(ns: Namespace, options: DeleteOptions): Namespace {
  const marked = { ...ns, metadata: { ...ns.metadata, deletionTimestamp: nowTimestamp() } };
  markTerminating(marked, options);
  return marked;
}

/**
 * core/v1 namespaces. Namespaces are implicit (any name can hold objects; one that does reads as
 * Active), and clients may also create, label, list and delete them as on a cluster. A name nobody
 * created that holds nothing does not exist (404), as on a cluster, so `kubectl apply -f ns.yaml`
 * creates it rather than patching a namespace that only seemed to be there. Deleting one marks it
 * Terminating; NamespaceTerminator then deletes everything in it and removes it, as
 * kube-controller-manager's namespace controller does.
 */
export class NamespaceHandler implements ResourceHandler {
  constructor(
    private readonly store: GenericStore<Namespace>,
    private readonly terminator: NamespaceTerminator,
    private readonly lifecycle: NamespaceLifecycle,
  ) {}

  get info() {
    return namespacesInfo;
  }

  async get(_namespace: string, name: string): Promise<object> {
    const stored = await this.store.current('', name);
    if (stored) return stored;
    await this.requireImplicit(name);
    return implicitNamespace(name);
  }

  list(options: ListOptions) {
    return this.store.list(options);
  }

  create(_namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.store.create('', body, options);
  }

  /** A PUT of an implicit namespace stores it (it was readable already); of one that does not exist, 404. */
  async update(_namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    if (await this.store.current('', name)) return this.store.update('', name, body, options);
    await this.requireImplicit(name);
    const created = await this.store.create('', body, options);
    return { code: 200, body: created.body };
  }

  /** A patch of an implicit namespace (kubectl apply, label, edit) creates it first; of one that does not exist, 404. */
  async patch(_namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    if (type !== 'apply' && !(await this.store.current('', name))) {
      await this.requireImplicit(name);
      if (options.dryRun) return { code: 200, body: applyPatchDocument(type, implicitNamespace(name), patch, namespacesInfo.mergeKeys) };
      await this.materialize(name);
    }
    return this.store.patch('', name, type, patch, options);
  }

  /**
   * Marks the namespace Terminating (deletionTimestamp, one MODIFIED event) and answers it; the
   * terminator then empties it and removes it. A name nobody created that holds objects is
   * deleted the same way; one that holds nothing is 404. Deleting a terminating namespace answers
   * it unchanged (200) while spec.finalizers hold it, as kube-apiserver's namespace REST Delete
   * does (older releases answered 409 Conflict).
   */
  async delete(_namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    assertDeletable(name);
    const stored = await this.store.current('', name);
    // kube's namespace REST Delete checks DeleteOptions.preconditions on the namespace first, worded
    // as its own conflicts (not as the generic store's).
    const pre = options.preconditions;
    if (stored && pre?.uid !== undefined && pre.uid !== stored.metadata.uid) {
      throw ApiError.conflict(refOf(namespacesInfo), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stored.metadata.uid}`);
    }
    if (stored && pre?.resourceVersion !== undefined && pre.resourceVersion !== stored.metadata.resourceVersion) {
      throw ApiError.conflict(
        refOf(namespacesInfo),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion}`,
      );
    }
    if (stored?.metadata.deletionTimestamp) {
      // kube's namespace REST Delete: only a namespace whose spec.finalizers are all gone is removed now.
      if (stored.spec?.finalizers?.length) return { code: 200, body: stored };
      return this.store.delete('', name, options);
    }
    if (!stored) {
      await this.requireImplicit(name);
      if (options.dryRun) return { code: 200, body: terminating(implicitNamespace(name), options) };
      await this.materialize(name);
    }
    // Marked meanwhile by a concurrent delete: answered as it is, as the namespace REST's update
    // of an already marked namespace changes nothing.
    const marked = await this.store.markForDeletion('', name, options, (ns) => markTerminating(ns, options));
    if (!options.dryRun) {
      this.lifecycle.markTerminating(name);
      this.terminator.schedule(name);
    }
    return { code: 200, body: marked };
  }

  /** At start: the namespaces a cluster always has exist here too. */
  async ensureSystemNamespaces(): Promise<void> {
    for (const name of SYSTEM_NAMESPACES) if (!(await this.store.current('', name))) await this.materialize(name);
  }

  /** A name nobody created exists only while objects live in it. */
  private async requireImplicit(name: string): Promise<void> {
    if (!(await this.terminator.holdsObjects(name))) throw ApiError.notFound(refOf(namespacesInfo), name);
  }

  /** Stores a namespace nobody created as a Namespace object (someone else doing it meanwhile is fine). */
  private async materialize(name: string): Promise<void> {
    await this.store.create('', { metadata: { name } }, { dryRun: false }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    });
  }

  present(obj: object, mark?: string | null) {
    return this.store.present(obj, mark);
  }

  presentMany(objs: object[], marks?: (string | null | undefined)[]) {
    return this.store.presentMany(objs, marks);
  }

  current(_namespace: string, name: string) {
    return this.store.current('', name);
  }

  fieldsOf(obj: object) {
    return this.store.fieldsOf(obj);
  }
}
