import { Logger } from '@nestjs/common';
import type { Database } from '@app/persistence';
import type { NamespaceQuota } from './namespace-quota';

/**
 * kube-controller-manager's resource quota controller's full resync: every ResourceQuota's status
 * is recomputed from its spec and the namespace's counts every `intervalMs`. Writes keep status
 * current as they happen (NamespaceQuota); what this catches is a status someone else wrote (a
 * `kubectl patch --subresource=status`, as Kubernetes' conformance test "should apply changes to a
 * resourcequota status" does, then waits for the controller to put it back). A status that is
 * already right is not written again (no resourceVersion, no watch event).
 */
export class QuotaStatusResync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly logger = new Logger(QuotaStatusResync.name);

  constructor(
    private readonly db: Database,
    private readonly quota: NamespaceQuota,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.resyncAll()
        .catch((e: unknown) => this.logger.warn(`quota status resync failed: ${(e as Error).message}`))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: each quota in a transaction of its own (its row locked, as a create locks it). */
  async resyncAll(): Promise<void> {
    const quotas = await this.db.query<{ namespace: string; name: string }>('SELECT namespace, name FROM resource_quotas ORDER BY namespace, name');
    for (const { namespace, name } of quotas) {
      await this.db.transaction(async (tx) => this.quota.writeStatus(tx, { metadata: { namespace, name } })).catch((e: unknown) => {
        // Deleted since the list: nothing to put right.
        if ((e as { code?: number }).code !== 404) throw e;
      });
    }
  }
}
