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
import type { GenericStore, ResourceHandler, ResourceRegistry } from '@app/persistence';
import { deleteCollection } from '../delete-collection';
import { type Namespace, namespacesInfo } from './namespace.types';

/** A namespace nobody created: every name is usable here (objects need no Namespace first). */
function implicitNamespace(name: string): Namespace {
  return { kind: 'Namespace', apiVersion: 'v1', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

/**
 * core/v1 namespaces. Namespaces are implicit (any name can hold objects and reads as Active, so
 * kubectl words a missing object's NotFound as usual), and clients may also create, label, list
 * and delete them as on a cluster. Deleting one deletes every object in it, kind by kind, through
 * each kind's own delete (its watch events included), then the Namespace itself; kube-apiserver
 * does the same asynchronously, we do it before answering.
 */
export class NamespaceHandler implements ResourceHandler {
  constructor(
    private readonly store: GenericStore<Namespace>,
    private readonly registry: ResourceRegistry,
  ) {}

  get info() {
    return namespacesInfo;
  }

  async get(_namespace: string, name: string): Promise<object> {
    return (await this.store.current('', name)) ?? implicitNamespace(name);
  }

  list(options: ListOptions) {
    return this.store.list(options);
  }

  create(_namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.store.create('', body, options);
  }

  /** A PUT of a namespace nobody created yet creates it (it was readable already). */
  async update(_namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    if (await this.store.current('', name)) return this.store.update('', name, body, options);
    const created = await this.store.create('', body, options);
    return { code: 200, body: created.body };
  }

  /** A patch of an implicit namespace (kubectl apply, label, edit) creates it first. */
  async patch(_namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    if (type !== 'apply' && !(await this.store.current('', name))) {
      if (options.dryRun) return { code: 200, body: applyPatchDocument(type, implicitNamespace(name), patch, namespacesInfo.mergeKeys) };
      try {
        await this.store.create('', { metadata: { name } }, { dryRun: false });
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
      }
    }
    return this.store.patch('', name, type, patch, options);
  }

  async delete(_namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    const stored = await this.store.current('', name);
    let emptied = 0;
    for (const h of this.registry.all()) {
      const { info } = h;
      if (!info.namespaced || info.resource.includes('/') || !info.verbs.includes('deletecollection') || !h.list || !h.delete) continue;
      const deleted = (await deleteCollection(h, { namespace: name, labelSelector: [], fieldSelector: [] }, { dryRun: options.dryRun })) as { items: unknown[] };
      emptied += deleted.items.length;
    }
    if (stored) await this.store.delete('', name, options);
    else if (emptied === 0) throw ApiError.notFound(refOf(namespacesInfo), name);
    const last = stored ?? implicitNamespace(name);
    // What kube-apiserver answers: the namespace, now terminating (gone here once answered).
    return {
      code: 200,
      body: { ...last, metadata: { ...last.metadata, deletionTimestamp: nowTimestamp() }, status: { ...last.status, phase: 'Terminating' } },
    };
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
