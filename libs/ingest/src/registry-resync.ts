import type { AppConfig } from '@app/config';
import type { Database } from '@app/persistence';
import { mapLimited, RegistryAuthError, RegistryNotFoundError } from '@app/registry';
import { errorReason } from './error-reason';
import type { RegistryEventQueue } from './event-queue';
import type { InboxRepository } from './inbox.repository';
import { registryResyncEvents, registryResyncPasses } from './ingest-metrics';
import type { RegistrySource } from './registry-source';
import { repositoryTarget } from './repository-target';
import { type AppliedTag, planRepositoryResync, resyncEvent } from './resync-plan';

/** HEADs in flight at once: the registry client's pool also serves ingestion. */
const HEAD_CONCURRENCY = 4;

/** What one pass found and stored. */
export interface ResyncReport {
  /** Repositories compared (those that map to an image stream). */
  repositories: number;
  /** Registry tags compared (one HEAD each). */
  tags: number;
  /** Lost pushes and lost tag deletes found, stored in the inbox as events of their own. */
  pushes: number;
  tagDeletes: number;
  /** Of those, the events new to the inbox (another pass or replica may have stored the rest). */
  stored: number;
  /** The pass stopped at REGISTRY_RESYNC_MAX_TAGS: repositories or tags past it were not compared. */
  truncated: boolean;
  /** Repositories that could not be read, with the reason (repository '' for the catalog); the pass went on with the others. */
  errors: { repository: string; reason: string }[];
}

/**
 * The registry keeps its notifications in memory: what it had not delivered when it stopped (or
 * what failed for good) never arrives. A pass compares the registry's tags (catalog, tags/list, a
 * HEAD per tag) with what ingestion last applied to each tag, and stores each gap as an event of
 * its own in the inbox, which ingestion then applies under its usual rules (it asks the registry
 * again under the tag's lock, so a pass that raced a push changes nothing). Only the registry's
 * own history is compared, so tags set through the API are left alone.
 */
export class RegistryResync {
  constructor(
    private readonly config: AppConfig,
    private readonly db: Database,
    private readonly inbox: InboxRepository,
    private readonly source: RegistrySource,
    private readonly queue: RegistryEventQueue,
  ) {}

  /** Is there a registry to compare with (REGISTRY_URL)? */
  get configured(): boolean {
    return this.source.configured;
  }

  /** Passes of this process run one after the other (a request during a timed pass waits for it). */
  private tail: Promise<unknown> = Promise.resolve();

  /** One pass over the whole catalog, or over one repository. */
  run(repository?: string): Promise<ResyncReport> {
    const pass = this.tail.then(() => this.pass(repository));
    this.tail = pass.catch(() => undefined);
    return pass.then(
      (report) => {
        registryResyncPasses.inc({ outcome: report.errors.length ? 'partial' : 'ok' });
        return report;
      },
      (e: unknown) => {
        registryResyncPasses.inc({ outcome: 'failed' });
        throw e;
      },
    );
  }

  private async pass(repository: string | undefined): Promise<ResyncReport> {
    const report: ResyncReport = { repositories: 0, tags: 0, pushes: 0, tagDeletes: 0, stored: 0, truncated: false, errors: [] };
    const budget = this.config.registryResyncMaxTags;
    const repositories = repository !== undefined ? [repository] : await this.repositories(budget + 1, report);
    if (repositories.length > budget) report.truncated = true;
    for (const name of repositories.slice(0, budget)) {
      const left = budget - report.tags;
      if (left <= 0) {
        report.truncated = true;
        break;
      }
      if ('ignored' in repositoryTarget(name)) continue;
      try {
        await this.compare(name, left, report);
      } catch (e) {
        report.errors.push({ repository: name, reason: errorReason(e) });
      }
    }
    return report;
  }

  /**
   * The catalog, or, when the registry refuses it (a token registry grants `registry:catalog:*`
   * only to the policy's catalog users), the repositories ingestion has applied events to: their
   * lost pushes and deletes are still found, those of repositories it never heard of are not.
   */
  private async repositories(max: number, report: ResyncReport): Promise<string[]> {
    try {
      return await this.source.client().listRepositories(max);
    } catch (e) {
      if (!(e instanceof RegistryAuthError)) throw e;
      report.errors.push({ repository: '', reason: `${errorReason(e)}; compared the repositories ingestion knows instead` });
      const rows = await this.db.query<{ repository: string }>(
        'SELECT DISTINCT repository FROM registry_tag_positions ORDER BY repository LIMIT $1',
        [max],
      );
      return rows.map((r) => r.repository);
    }
  }

  private async compare(repository: string, left: number, report: ResyncReport): Promise<void> {
    const client = this.source.client();
    // One more than the budget tells a full listing from a cut one.
    let listed: string[];
    try {
      listed = await client.listTags(repository, left + 1);
    } catch (e) {
      // distribution answers tags/list of a repository that never had a tag (pushed by digest
      // only, or a push cut before its tag) with NAME_UNKNOWN: it has no tags, which is no error.
      // Nothing is compared either: a repository whose tags ingestion knows is not emptied on it.
      if (!(e instanceof RegistryNotFoundError)) throw e;
      report.repositories++;
      return;
    }
    const complete = listed.length <= left;
    if (!complete) report.truncated = true;
    const tags = listed.slice(0, left);
    const digests = await mapLimited(tags, HEAD_CONCURRENCY, (tag) => client.headManifest(repository, tag));
    const registryTags = new Map<string, string>();
    tags.forEach((tag, i) => {
      const digest = digests[i];
      if (digest) registryTags.set(tag, digest);
    });
    report.repositories++;
    report.tags += tags.length;

    // Read after the registry: a notification of what the HEADs saw that arrived meanwhile shows
    // here as applied or pending, so the pass does not store that push a second time.
    const [positions, pending] = await Promise.all([
      this.db.query<{ tag: string; event_id: string; digest: string | null }>(
        'SELECT tag, event_id, digest FROM registry_tag_positions WHERE repository = $1',
        [repository],
      ),
      this.db.query<{ tag: string | null }>(
        `SELECT DISTINCT tag FROM registry_events WHERE state = 'pending' AND repository = $1`,
        [repository],
      ),
    ]);
    const applied = new Map<string, AppliedTag>(positions.map((p) => [p.tag, { eventId: p.event_id, digest: p.digest }]));
    const actions = planRepositoryResync({
      repository,
      registryTags,
      complete,
      applied,
      pendingTags: new Set(pending.flatMap((p) => (p.tag === null ? [] : [p.tag]))),
      manifestDeletePending: pending.some((p) => p.tag === null),
    });
    if (actions.length === 0) return;
    const now = new Date();
    const events = actions.map((a) => resyncEvent(repository, a, now));
    const fresh = await this.inbox.insert(events);
    const stored = new Set(fresh);
    for (const e of events) if (stored.has(e.id)) registryResyncEvents.inc({ kind: e.kind });
    report.pushes += actions.filter((a) => a.kind === 'manifest-push').length;
    report.tagDeletes += actions.filter((a) => a.kind === 'tag-delete').length;
    report.stored += fresh.length;
    // Redis away: the sweeper enqueues the stored rows later.
    await this.queue.enqueue(fresh);
  }
}
