import { ApiError, nowTimestamp } from '@app/api-machinery';
import { type GenericStore, isGarbageCollectorFinalizer, type ResourceHandler, type ResourceRegistry } from '@app/persistence';
import { deleteCollection } from '../delete-collection';
import { type RemainingContent, terminationConditions } from './namespace-conditions';
import type { Namespace } from './namespace.types';

/** How soon a terminating namespace is emptied again while something in it waits for finalizers. */
const RETRY_MS = 5000;

/**
 * kube-controller-manager's namespace controller, in the api process: a namespace marked for
 * deletion (Terminating) is emptied a little later, kind by kind through each kind's own delete
 * (so every object gets its DELETED watch event and finalizers are honoured), and the Namespace
 * is removed once nothing is left in it. The delay lets a client that deletes a namespace together
 * with its contents (`kubectl delete -f` of a List) delete them itself, as on a cluster. Marked
 * namespaces are picked up again after a restart (resume); deletes are idempotent, so several api
 * replicas doing this at once is harmless.
 */
export class NamespaceTerminator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly store: GenericStore<Namespace>,
    /** The `namespaces/{name}/finalize` store: removing the last spec finalizer removes the namespace. */
    private readonly finalizeStore: GenericStore<Namespace>,
    /** The `namespaces/{name}/status` store, for the conditions a deletion pass reports. */
    private readonly statusStore: GenericStore<Namespace>,
    private readonly registry: ResourceRegistry,
    private readonly delayMs: number,
  ) {}

  /** Every stored kind that lives in namespaces (views and subresources excluded). */
  private contentKinds(): ResourceHandler[] {
    return this.registry.all().filter((h) => h.info.namespaced && !h.info.resource.includes('/') && h.info.verbs.includes('deletecollection') && typeof h.list === 'function' && typeof h.delete === 'function');
  }

  /** Does anything live in the namespace? */
  async holdsObjects(name: string): Promise<boolean> {
    for (const h of this.contentKinds()) {
      const page = await h.list!({ namespace: name, labelSelector: [], fieldSelector: [], limit: 1 });
      if (page.items.length) return true;
    }
    return false;
  }

  /** What is still in the namespace: objects per group-resource, and the finalizers holding them. */
  private async remaining(name: string): Promise<RemainingContent> {
    const resources = new Map<string, number>();
    const finalizers = new Map<string, number>();
    for (const h of this.contentKinds()) {
      const { items } = await h.list!({ namespace: name, labelSelector: [], fieldSelector: [] });
      if (!items.length) continue;
      resources.set(h.info.group ? `${h.info.resource}.${h.info.group}` : h.info.resource, items.length);
      for (const item of items as { metadata?: { finalizers?: string[] } }[]) {
        for (const f of item.metadata?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      }
    }
    return { resources, finalizers };
  }

  schedule(name: string, delayMs = this.delayMs): void {
    if (this.stopped || this.timers.has(name)) return;
    const timer = setTimeout(() => {
      this.timers.delete(name);
      void this.finalize(name);
    }, delayMs);
    timer.unref();
    this.timers.set(name, timer);
  }

  /** Empties a terminating namespace and removes it; tries again later while objects remain (or on failure). */
  async finalize(name: string): Promise<void> {
    try {
      const ns = await this.store.current('', name);
      if (!ns?.metadata.deletionTimestamp) return;
      if (ns.metadata.finalizers?.some(isGarbageCollectorFinalizer)) await this.collectGarbage(name);
      for (const h of this.contentKinds()) await deleteCollection(h, { namespace: name, labelSelector: [], fieldSelector: [] }, { dryRun: false });
      // Objects waiting for their finalizers are still there: the namespace waits with them, and
      // says so in its conditions as the namespace controller does.
      const remaining = await this.remaining(name);
      await this.statusStore.mutate(
        '',
        name,
        (current) => Promise.resolve({ next: { ...current, status: { ...current.status, conditions: terminationConditions(current.status?.conditions, remaining, nowTimestamp()) } } }),
        () => Promise.resolve(),
        { dryRun: false },
      );
      if (remaining.resources.size) return this.schedule(name, RETRY_MS);
      // What no client deletes and no owner took with it (orphaned deliveries) goes with the namespace too.
      for (const h of this.registry.all()) await h.removeNamespaceLeftovers?.(name);
      // As the namespace controller: our `kubernetes` finalizer goes through /finalize, and that
      // update removes the namespace once no other spec finalizer (a client's own) holds it.
      await this.finalizeStore
        .mutate(
          '',
          name,
          (current) => {
            const finalizers = (current.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes');
            return Promise.resolve({ next: { ...current, spec: { ...current.spec, finalizers } } });
          },
          () => Promise.resolve(),
          { dryRun: false },
        )
        .catch((e: unknown) => {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        });
    } catch {
      if (!this.stopped) this.schedule(name, RETRY_MS);
    }
  }

  /**
   * Kubernetes' garbage collector's part: the `orphan` or `foregroundDeletion` finalizer a delete
   * put on the namespace goes once its dependents are orphaned or deleted, and a namespace has
   * none here, so at once, while the namespace still terminates (its spec.finalizers hold it).
   */
  private async collectGarbage(name: string): Promise<void> {
    await this.store.mutate(
      '',
      name,
      (current) => {
        const finalizers = (current.metadata.finalizers ?? []).filter((f) => !isGarbageCollectorFinalizer(f));
        const metadata: Namespace['metadata'] = { ...current.metadata, finalizers };
        if (!finalizers.length) delete metadata.finalizers;
        return Promise.resolve({ next: { ...current, metadata } });
      },
      () => Promise.resolve(),
      { dryRun: false },
    );
  }

  /** After a start: finish the namespaces a previous process left Terminating; answers the stored namespaces. */
  async resume(): Promise<Namespace[]> {
    const all = await this.store.list({ labelSelector: [], fieldSelector: [] });
    for (const ns of all.items) if (ns.metadata.deletionTimestamp) this.schedule(ns.metadata.name!, 0);
    return all.items;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
