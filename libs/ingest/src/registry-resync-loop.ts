import { Logger } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { errorReason } from './error-reason';
import type { RegistryResync } from './registry-resync';

/**
 * Runs a resync pass every REGISTRY_RESYNC_INTERVAL_SECONDS in the worker, the first one an interval
 * after start (a restarted worker does not walk the registry at once). Replicas may each run
 * theirs: the events a pass stores have deterministic ids, so a second pass stores nothing new.
 */
export class RegistryResyncLoop {
  private readonly logger = new Logger('RegistryResync');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly resync: RegistryResync,
  ) {}

  start(): void {
    if (this.config.registryResyncIntervalSeconds === 0 || !this.resync.configured) return;
    const every = this.config.registryResyncIntervalSeconds * 1000;
    const tick = () => {
      this.running = this.once().finally(() => {
        this.running = null;
        if (this.timer) this.timer = setTimeout(tick, every);
      });
    };
    this.timer = setTimeout(tick, every);
  }

  private async once(): Promise<void> {
    try {
      const r = await this.resync.run();
      if (r.pushes || r.tagDeletes || r.errors.length || r.truncated) {
        this.logger.warn(
          `registry resync: ${r.pushes} lost pushes and ${r.tagDeletes} lost tag deletes found (${r.stored} new) in ${r.repositories} repositories, ${r.tags} tags` +
            (r.truncated ? '; stopped at REGISTRY_RESYNC_MAX_TAGS' : '') +
            (r.errors.length ? `; unreadable: ${r.errors.map((e) => `${e.repository} (${e.reason})`).join(', ')}` : ''),
        );
      }
    } catch (e) {
      this.logger.warn(`registry resync failed: ${errorReason(e)}`);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
