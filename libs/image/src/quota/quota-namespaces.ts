import type { ChangeRecord, Database, Queryable } from '@app/persistence';

type PolicyResource = 'limitranges' | 'resourcequotas';
const tables: Record<PolicyResource, string> = {
  limitranges: 'limit_ranges',
  resourcequotas: 'resource_quotas',
};
const isPolicy = (resource: string): resource is PolicyResource =>
  resource === 'limitranges' || resource === 'resourcequotas';

/** How often a process without a change feed (the worker) reloads the index. */
const POLL_MS = 1000;

/**
 * Which namespaces hold a LimitRange or a ResourceQuota, kept in memory as upstream's admission
 * plugins keep informer caches, so that writes in a namespace without any (the common case) pay no
 * query for quota and limit admission. Loaded once, then kept current from this process's change
 * feed; a process without one (the worker) reloads it when asked and older than a second. Until
 * the first load every namespace counts as holding policies (the checks then query, and find none).
 * This process's own writes of policies are noted at once, before the feed reports them.
 */
export class QuotaNamespaces {
  private readonly holders: Record<PolicyResource, Map<string, Set<string>>> = {
    limitranges: new Map(),
    resourcequotas: new Map(),
  };
  private loaded = false;
  private subscribed = false;
  private loading: Promise<void> | undefined;
  private lastLoad = 0;
  /** Changes delivered while a load runs, applied after it (the load may have read an older state). */
  private pending: ChangeRecord[] | undefined;

  constructor(private readonly db: Database) {}

  hasLimitRanges(namespace: string): Promise<boolean> {
    return this.holds('limitranges', namespace);
  }

  hasResourceQuotas(namespace: string): Promise<boolean> {
    return this.holds('resourcequotas', namespace);
  }

  /**
   * With a change feed the answer is the set as it stands (no waiting). Without one, a set older
   * than POLL_MS is reloaded first (at most one query a second, shared by concurrent callers).
   * Until the first load completes every namespace counts as holding policies.
   */
  private async holds(resource: PolicyResource, namespace: string): Promise<boolean> {
    this.refresh();
    if (!this.subscribed && this.loading) await this.loading;
    if (!this.loaded) return true;
    return (this.holders[resource].get(namespace)?.size ?? 0) > 0;
  }

  /** This process wrote (or removed) a policy object: counted before its change reaches the feed. */
  note(resource: PolicyResource, namespace: string, name: string, present: boolean): void {
    const byNs = this.holders[resource];
    const names = byNs.get(namespace) ?? new Set<string>();
    if (present) names.add(name);
    else names.delete(name);
    if (names.size) byNs.set(namespace, names);
    else byNs.delete(namespace);
  }

  private onChange(change: ChangeRecord): void {
    if (!isPolicy(change.resource)) return;
    if (this.pending) this.pending.push(change);
    else this.note(change.resource, change.namespace, change.name, change.type !== 'DELETED');
  }

  /** Subscribes to the feed once one runs; loads on start, and (without a feed) every POLL_MS. */
  private refresh(): void {
    if (!this.subscribed) {
      const unsubscribe = this.db.subscribeToChanges((c) => this.onChange(c));
      if (unsubscribe) {
        this.subscribed = true;
        this.loaded = false;
        this.lastLoad = 0;
      }
    }
    const due = !this.loaded || (!this.subscribed && Date.now() - this.lastLoad >= POLL_MS);
    if (due && !this.loading) {
      this.loading = this.load(this.db)
        .catch(() => undefined)
        .finally(() => {
          this.loading = undefined;
        });
    }
  }

  private async load(q: Queryable): Promise<void> {
    this.pending = [];
    try {
      const rows = await q.query<{ resource: PolicyResource; namespace: string; name: string }>(
        Object.entries(tables)
          .map(([resource, table]) => `SELECT '${resource}' AS resource, namespace, name FROM ${table}`)
          .join(' UNION ALL '),
      );
      this.holders.limitranges.clear();
      this.holders.resourcequotas.clear();
      for (const r of rows) this.note(r.resource, r.namespace, r.name, true);
      const pending = this.pending;
      this.pending = undefined;
      for (const c of pending) this.onChange(c);
      this.loaded = true;
      this.lastLoad = Date.now();
    } finally {
      this.pending = undefined;
    }
  }

  /** Waits for the first load (tests; boot). */
  async ready(): Promise<void> {
    this.refresh();
    await this.loading;
  }
}
