import { Logger } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import { currentTagImageSql, removeImageFromStream, removeTagFromStream, streamHistoryHoldsImage } from '@app/image';
import { type Database, type Queryable, type Transaction } from '@app/persistence';
import { RegistryNotFoundError, UnsupportedManifestError } from '@app/registry';
import { errorReason } from './error-reason';
import type { InboxEvent, InboxRepository } from './inbox.repository';
import { registryEventLag, registryEventProcessing, registryEventsProcessed } from './ingest-metrics';
import type { ImageRecorder, PreparedImage, StreamRef } from './image-recorder';
import type { StoredImage } from './stored-image';
import { NamespaceTerminatingError, namespaceTerminatingSql } from './namespace-terminating';
import { decidePush, decideTagDelete, nextPosition, settleMissingManifest, settlePushWithRegistry, type TagPosition } from './ordering';
import type { RegistrySource } from './registry-source';
import { repositoryTarget } from './repository-target';
import type { TagPositionsRepository } from './tag-positions.repository';

/** Advisory-lock namespaces (first key of pg_advisory_xact_lock(int, int)). */
const REPOSITORY_LOCK = 0x1e6e57;
const TAG_LOCK = 0x1e6e58;

export interface Attempt {
  /** Attempts made before this one. */
  made: number;
  max: number;
}

/** The event cannot be acted on, and retrying will not change that: recorded as ignored with the reason. */
class Ignore extends Error {}

/**
 * The registry does not (yet) show a pushed digest under its tag. distribution queues the push
 * event before it writes the tag (registry/handlers/manifests.go: the manifest Put notifies, then
 * tags.Tag runs), so an event processed at once can be ahead of the tag write; and a later push
 * that explains what the registry shows (the tag flipped back, A→B→A) may not have been reported
 * yet, its notification still queued in the registry. So the push is looked at again on each of
 * its attempts but the last (INGEST_BACKOFF_MS apart, doubling), and settled superseded only then:
 * looking again costs nothing but time when the push really was superseded.
 */
class TagNotConfirmedYet extends Error {
  constructor(digest: string, held: string | null) {
    super(`the registry does not show ${digest} under the tag yet (it has ${held ?? 'no such tag'}); looking again`);
    this.name = 'TagNotConfirmedYet';
  }
}

function isPermanent(e: unknown): boolean {
  if (e instanceof Ignore || e instanceof UnsupportedManifestError) return true;
  // Bad input the image API refuses (names, references): a retry would be refused the same way.
  // A refusal by quota or limit admission (403) is the push the integrated registry would have
  // denied: settled with its reason (redrive it once the quota or limit allows it).
  return e instanceof ApiError && (e.code === 400 || e.code === 403 || e.code === 422);
}

/** How one event was settled; written with a COMMIT, counted once that COMMIT succeeded. */
interface Settlement {
  event: InboxEvent;
  state: 'processed' | 'ignored';
  outcome: string;
  reason?: string | null;
}

/** What reading a pushed manifest from the registry gave. */
type ImageRead = { image: PreparedImage } | { error: unknown };

/** Where a tag stands while the events of its backlog are applied one after the other. */
interface TagState {
  position: TagPosition | null;
  current: string | null;
  /** Tag moves run inside the gate transaction (one COMMIT for the move and its settlement). */
  mapInGate: boolean;
  /** The stream's namespace is being deleted: pushes wait (NamespaceTerminatingError). */
  namespaceTerminating: boolean;
}

/**
 * Settles one stored registry event (the inbox row is the truth; the job only names it):
 * - manifest push with a tag: the Image (and a list's children) is created or reused and the tag
 *   moved like an ImageStreamMapping, in registry order per tag (ordering.ts);
 * - manifest push by digest: the Image is recorded;
 * - manifest delete: that digest's history entries leave the repository's stream;
 * - tag delete: the tag leaves the stream's status (its whole history), when the registry confirms
 *   the tag is gone; with a manifest delete's removals this ends the same in either order.
 * Effects are idempotent, so a repeat after a crash changes nothing twice.
 */
export class RegistryEventProcessor {
  private readonly logger = new Logger('RegistryEventProcessor');

  constructor(
    private readonly db: Database,
    private readonly inbox: InboxRepository,
    private readonly positions: TagPositionsRepository,
    private readonly images: ImageRecorder,
    private readonly source: RegistrySource,
  ) {}

  async process(eventId: string, attempt: Attempt): Promise<void> {
    const found = await this.inbox.getForProcessing(eventId);
    if (!found || found.event.state !== 'pending') return;
    const { event, storedImage } = found;
    const timer = registryEventProcessing.startTimer({ kind: event.kind });
    try {
      await this.dispatch(event, storedImage, attempt);
      timer();
    } catch (e) {
      timer();
      if (isPermanent(e)) {
        await this.settleNow(this.db, {
          event,
          state: 'ignored',
          outcome: e instanceof UnsupportedManifestError ? 'unsupported' : 'ignored',
          reason: errorReason(e),
        });
        return;
      }
      const attempts = attempt.made + 1;
      if (attempts >= attempt.max) {
        await this.inbox.fail(event.id, attempts, errorReason(e));
        registryEventsProcessed.inc({ kind: event.kind, outcome: 'failed' });
        this.logger.warn(`registry event ${event.id} failed after ${attempts} attempts: ${errorReason(e)}`);
      } else {
        await this.inbox.noteAttempt(event.id, attempts, errorReason(e));
      }
      throw e;
    }
  }

  private async dispatch(event: InboxEvent, storedImage: StoredImage | null, attempt: Attempt): Promise<void> {
    const target = repositoryTarget(event.repository);
    if ('ignored' in target) throw new Ignore(target.ignored);
    switch (event.kind) {
      case 'manifest-push':
        if (event.tag === null) return this.recordByDigest(event, storedImage);
        return this.inTagOrder(event, target, storedImage, attempt);
      case 'tag-delete':
        return this.inTagOrder(event, target, storedImage, attempt);
      case 'manifest-delete':
        return this.manifestDelete(event, target);
    }
  }

  /** Metrics for settlements whose COMMIT succeeded. */
  private counted(s: Settlement): void {
    registryEventsProcessed.inc({ kind: s.event.kind, outcome: s.outcome });
    const lagNs = BigInt(Date.now()) * 1_000_000n - s.event.eventNs;
    registryEventLag.observe({ kind: s.event.kind }, Number(lagNs) / 1e9);
  }

  private async settleNow(q: Queryable, s: Settlement): Promise<void> {
    if (await this.inbox.finish(q, s.event.id, s.state, s.outcome, s.reason ?? null)) this.counted(s);
  }

  private async recordByDigest(event: InboxEvent, storedImage: StoredImage | null): Promise<void> {
    const prepared = await this.images.prepare(event.repository, event.digest!, storedImage);
    const created = await this.images.record(prepared);
    await this.settleNow(this.db, { event, state: 'processed', outcome: created ? 'image-recorded' : 'image-exists' });
  }

  /**
   * Pushes and tag deletes of one tag run under that tag's lock (and a shared lock on the
   * repository, which manifest deletes take exclusively), oldest registry time first: events of
   * the tag that are stored and older than this one are settled before it, whichever job runs
   * first. The locks, the backlog, the tag's position and its newest entry are read in one round
   * trip; each settlement is written with the COMMIT that releases the locks.
   */
  private async inTagOrder(event: InboxEvent, stream: StreamRef, storedImage: StoredImage | null, attempt: Attempt): Promise<void> {
    const tag = event.tag!;
    // Registry reads for this event happen before the locks are taken. A manifest the registry no
    // longer has is settled under the lock (applyToTag asks the registry about the tag).
    let ownRead: ImageRead | undefined;
    if (event.kind === 'manifest-push') {
      try {
        ownRead = { image: await this.images.prepare(event.repository, event.digest!, storedImage) };
      } catch (error) {
        if (!(error instanceof RegistryNotFoundError)) throw error;
        ownRead = { error };
      }
    }
    let settled: Settlement[] = [];
    let failure: { error: unknown } | null = null;
    await this.db.transaction(async (gate) => {
      // The gate may run again (deadlock, or a version the change feed closed): only the last
      // run's settlements and failure count, the earlier ones were rolled back.
      settled = [];
      failure = null;
      const [, backlogRows, positionRows, currentRows, terminatingRows] = await gate.batch([
        {
          text: `SELECT pg_advisory_xact_lock_shared($1::int, hashtext($2::text)), pg_advisory_xact_lock($3::int, hashtext($4::text))`,
          values: [REPOSITORY_LOCK, event.repository, TAG_LOCK, `${event.repository}:${tag}`],
        },
        this.inbox.pendingForTagSql(event.repository, tag, event.eventNs),
        this.positions.getSql(event.repository, tag),
        currentTagImageSql(stream.namespace, stream.name, tag),
        namespaceTerminatingSql(stream.namespace),
      ]);
      const backlog = this.inbox.fromRows(backlogRows!);
      const state: TagState = {
        position: this.positions.fromRows(positionRows!),
        current: (currentRows![0]?.['image'] as string | undefined) ?? null,
        // A tag delete commits on its own and locks the stream row, which a mapping made inside
        // this transaction would hold until the end: then mappings commit on their own too.
        mapInGate: !backlog.some((item) => item.kind === 'tag-delete'),
        namespaceTerminating: terminatingRows!.length > 0,
      };
      // Registry reads for the older pushes too happen before any mapping locks the stream row
      // (a mapping made in this transaction holds it until COMMIT).
      const reads = new Map<string, ImageRead>();
      for (const item of backlog) {
        if (item.kind !== 'manifest-push' || item.id === event.id) continue;
        try {
          reads.set(item.id, { image: await this.images.prepare(item.repository, item.digest!) });
        } catch (error) {
          reads.set(item.id, { error }); // raised when the item is applied, below
        }
      }
      for (const item of backlog) {
        const own = item.id === event.id;
        try {
          const read = own ? ownRead : reads.get(item.id);
          // Only this event looks again later (while it has another attempt); older events of the
          // backlog are settled by what the registry says now (a later push follows).
          const s = await this.applyToTag(gate, item, stream, state, read, own && attempt.made < attempt.max - 1);
          if (s) settled.push(s);
        } catch (e) {
          if (own) {
            // Keep what the earlier events of the backlog did: commit them, then fail this one.
            failure = { error: e };
            break;
          }
          // An older event of this tag that fails stays pending for its own job (which will find it
          // superseded by this one), unless it can never succeed.
          if (isPermanent(e)) {
            const s: Settlement = { event: item, state: 'ignored', outcome: 'ignored', reason: errorReason(e) };
            gate.finishWith(this.inbox.finishSql(item.id, s.state, s.outcome, s.reason));
            settled.push(s);
          } else {
            this.logger.debug(`registry event ${item.id} left for its own job: ${errorReason(e)}`);
          }
        }
      }
    });
    settled.forEach((s) => this.counted(s));
    if (failure) throw (failure as { error: unknown }).error;
  }

  /**
   * Applies one event of the tag's backlog and advances `state`. A push's tag move (when
   * `state.mapInGate`), settlement and new position ride with the gate's COMMIT, so a crash
   * leaves all or none of them; a tag delete commits its own removal and returns null.
   */
  private async applyToTag(
    gate: Transaction,
    event: InboxEvent,
    stream: StreamRef,
    state: TagState,
    read: ImageRead | undefined,
    mayLookAgain: boolean,
  ): Promise<Settlement | null> {
    if (event.kind === 'tag-delete') {
      await this.deleteTag(event, stream, state);
      return null;
    }
    const tag = event.tag!;
    const digest = event.digest!;
    let decision = decidePush({ ...event, digest }, state.position, state.current);
    // What the registry holds under the tag, asked at most once per event.
    let held: string | null | undefined;
    const registryTag = async () => (held !== undefined ? held : (held = await this.source.client().headManifest(event.repository, tag)));
    // Without a registry to ask (REGISTRY_URL unset, images recorded beforehand), the stamps decide.
    if (decision.action === 'verify' && !this.source.configured) decision = { action: 'apply' };
    if (decision.action === 'verify') {
      const now = await registryTag();
      // The previous push's digest under the tag: its tag was written after this push's (concurrent
      // pushes), or this push's tag is not written yet. A pending later push of that digest (A→B→A)
      // explains it otherwise: then this push is applied, as the later one will be.
      if (now === decision.previous && !(await this.inbox.hasPendingPushAfter(gate, event.repository, tag, event.eventNs, now))) {
        if (mayLookAgain) throw new TagNotConfirmedYet(digest, now);
        decision = { action: 'skip', reason: `superseded: the registry holds ${now} under this tag, written after this push (concurrent pushes)` };
      } else {
        decision = { action: 'apply' };
      }
    }
    if (decision.action === 'ask') {
      decision = settlePushWithRegistry(digest, await registryTag());
      if (decision.action === 'skip' && mayLookAgain) throw new TagNotConfirmedYet(digest, held ?? null);
    }
    if (decision.action === 'apply' && read && 'error' in read && read.error instanceof RegistryNotFoundError) {
      // Deleted from the registry before this event was processed: unless the tag still holds it
      // (storage lag: retry), nothing will ever read it again, so the event is settled, not retried.
      const missing = settleMissingManifest(digest, await registryTag());
      if (missing.action === 'retry') throw read.error;
      decision = missing;
    }
    if (decision.action === 'skip') {
      // The tag stays, but the pushed image is still recorded when the registry still has it.
      if (!read || 'image' in read) await this.recordQuietly(event, read?.image);
      const s: Settlement = { event, state: 'processed', outcome: 'superseded', reason: decision.reason };
      gate.finishWith(this.inbox.finishSql(event.id, s.state, s.outcome, s.reason));
      return s;
    }
    if (read && 'error' in read) throw read.error;
    if (state.namespaceTerminating) throw new NamespaceTerminatingError(stream.namespace);
    const image = read?.image ?? (await this.images.prepare(event.repository, digest));
    // The moves of earlier events of this backlog must be written before this one reads the tag.
    if (state.mapInGate) await gate.flush();
    const outcome = await this.images.mapTag(stream, tag, image, state.mapInGate ? gate : undefined);
    state.position = nextPosition(event, state.position, digest, digest);
    state.current = digest;
    const s: Settlement = { event, state: 'processed', outcome: outcome.tagChanged ? 'tagged' : 'unchanged' };
    gate.finishWith(this.positions.setSql(event.repository, tag, state.position));
    gate.finishWith(this.inbox.finishSql(event.id, s.state, s.outcome));
    return s;
  }

  private async recordQuietly(event: InboxEvent, prepared?: PreparedImage): Promise<void> {
    try {
      await this.images.record(prepared ?? (await this.images.prepare(event.repository, event.digest!)));
    } catch (e) {
      this.logger.debug(`superseded push ${event.id}: image not recorded: ${errorReason(e)}`);
    }
  }

  /**
   * A confirmed tag delete removes the whole tag from status (the registry no longer has it, G5), not
   * just its newest entry: the state then matches the registry whether or not the manifest delete
   * that came with it already removed that entry. A tag whose newest entry is not the image the
   * registry held there (moved through the API since) stays: only the manifest delete's removal of
   * that image's entries applies to it. Removal, position and settlement commit together.
   */
  private async deleteTag(event: InboxEvent, stream: StreamRef, state: TagState): Promise<void> {
    const tag = event.tag!;
    const decision = decideTagDelete(event, state.position);
    if (decision.action === 'skip') {
      await this.settleNow(this.db, { event, state: 'processed', outcome: 'superseded', reason: decision.reason });
      return;
    }
    const held = await this.source.client().headManifest(event.repository, tag);
    if (held !== null) {
      await this.settleNow(this.db, {
        event,
        state: 'processed',
        outcome: 'superseded',
        reason: `superseded: the registry has ${held} under this tag again`,
      });
      return;
    }
    let settlement: Settlement | null = null;
    let next = nextPosition(event, state.position, null, null);
    // The digest the registry held under the tag, as far as ingestion knows it (none: remove as asked).
    const untagged = state.position?.digest ?? null;
    await this.db.transaction(async (tx) => {
      settlement = null; // a run again starts afresh (see inTagOrder)
      next = nextPosition(event, state.position, null, null);
      const removal = await removeTagFromStream(tx, stream.namespace, stream.name, tag, untagged);
      let s: Settlement;
      if (removal?.keptAt) {
        // Moved away from the registry's image since (through the API): the tag is not the registry's to untag.
        next = nextPosition(event, state.position, null, removal.keptAt);
        s = { event, state: 'processed', outcome: 'superseded', reason: `superseded: the tag holds ${removal.keptAt}, not ${untagged}, which the registry untagged` };
      } else {
        s = { event, state: 'processed', outcome: removal === null ? 'no-stream' : removal.removed > 0 ? 'tag-removed' : 'nothing-to-remove' };
      }
      await this.positions.set(tx, event.repository, tag, next);
      if (await this.inbox.finish(tx, event.id, s.state, s.outcome, s.reason ?? null)) settlement = s;
    });
    // The backlog's state moves only once the removal committed: a run that failed left it as it was.
    state.position = next;
    state.current = next.currentImage;
    if (settlement) this.counted(settlement);
  }

  /**
   * Distribution's delete event names only repository and digest (a blob delete looks the same).
   * A digest the stream holds no history of settles at once (most often a blob). Otherwise, under
   * the repository's exclusive lock, the registry is asked first: a manifest that is there
   * again was pushed after the delete and wins. Otherwise every history entry naming that digest
   * in this repository leaves the repository's stream, in one transaction with the inbox update.
   */
  private async manifestDelete(event: InboxEvent, stream: StreamRef): Promise<void> {
    const digest = event.digest!;
    const registry = this.source.client();
    let settlement: Settlement | null = null;
    await this.db.transaction(async (tx) => {
      settlement = null; // a run again starts afresh (see inTagOrder)
      await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [REPOSITORY_LOCK, event.repository]);
      let s: Settlement;
      // Only entries naming the digest in this repository: the same digest recorded from elsewhere
      // (an import from another repository or registry) still names an image that exists.
      const references = this.source.pullSpecs(event.repository).map((spec) => `${spec}@${digest}`);
      const held = await streamHistoryHoldsImage(tx, stream.namespace, stream.name, digest, references);
      if (held !== true) {
        s = { event, state: 'processed', outcome: held === null ? 'no-stream' : 'nothing-to-remove' };
      } else if ((await registry.headManifest(event.repository, digest)) !== null) {
        s = { event, state: 'processed', outcome: 'superseded', reason: 'superseded: the registry has this manifest again' };
      } else {
        const removal = await removeImageFromStream(tx, stream.namespace, stream.name, digest, references);
        if (removal) await this.positions.moveCurrentImages(tx, event.repository, removal.changedTops);
        s = { event, state: 'processed', outcome: removal === null ? 'no-stream' : removal.removed ? 'history-removed' : 'nothing-to-remove' };
      }
      if (await this.inbox.finish(tx, event.id, s.state, s.outcome, s.reason ?? null)) settlement = s;
    });
    if (settlement) this.counted(settlement);
  }
}
