import { Logger } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import { currentTagImage, removeCurrentTagEvent, removeImageFromStream } from '@app/image';
import type { Database, Queryable } from '@app/persistence';
import { RegistryError, UnsupportedManifestError } from '@app/registry';
import type { InboxEvent, InboxRepository } from './inbox.repository';
import { registryEventLag, registryEventsProcessed } from './ingest-metrics';
import type { ImageRecorder, PreparedImage, StreamRef } from './image-recorder';
import { decidePush, decideTagDelete, settlePushWithRegistry, tagDeleteRemoves, type TagPosition } from './ordering';
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

function isPermanent(e: unknown): boolean {
  if (e instanceof Ignore || e instanceof UnsupportedManifestError) return true;
  // Bad input the image API refuses (names, references): a retry would be refused the same way.
  return e instanceof ApiError && (e.code === 400 || e.code === 422);
}

const describe = (e: unknown) =>
  e instanceof RegistryError || e instanceof ApiError || e instanceof Error ? `${e.name}: ${e.message}` : String(e);

/**
 * Settles one stored registry event (the inbox row is the truth; the job only names it):
 * - manifest push with a tag: the Image (and a list's children) is created or reused and the tag
 *   moved like an ImageStreamMapping, in registry order per tag (ordering.ts);
 * - manifest push by digest: the Image is recorded;
 * - manifest delete: that digest's history entries leave the repository's stream;
 * - tag delete: the tag's newest entry leaves, when the registry confirms the tag is gone.
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
    const event = await this.inbox.get(eventId);
    if (!event || event.state !== 'pending') return;
    try {
      await this.dispatch(event);
    } catch (e) {
      if (isPermanent(e)) {
        await this.settle(this.db, event, 'ignored', e instanceof UnsupportedManifestError ? 'unsupported' : 'ignored', describe(e));
        return;
      }
      const attempts = attempt.made + 1;
      if (attempts >= attempt.max) {
        await this.inbox.fail(event.id, attempts, describe(e));
        registryEventsProcessed.inc({ kind: event.kind, outcome: 'failed' });
        this.logger.warn(`registry event ${event.id} failed after ${attempts} attempts: ${describe(e)}`);
      } else {
        await this.inbox.noteAttempt(event.id, attempts, describe(e));
      }
      throw e;
    }
  }

  private async dispatch(event: InboxEvent): Promise<void> {
    const target = repositoryTarget(event.repository);
    if ('ignored' in target) throw new Ignore(target.ignored);
    switch (event.kind) {
      case 'manifest-push':
        if (event.tag === null) return this.recordByDigest(event);
        return this.inTagOrder(event, target);
      case 'tag-delete':
        return this.inTagOrder(event, target);
      case 'manifest-delete':
        return this.manifestDelete(event, target);
    }
  }

  private async settle(
    q: Queryable,
    event: InboxEvent,
    state: 'processed' | 'ignored',
    outcome: string,
    reason: string | null = null,
  ): Promise<void> {
    if (await this.inbox.finish(q, event.id, state, outcome, reason)) {
      registryEventsProcessed.inc({ kind: event.kind, outcome });
      const lagNs = BigInt(Date.now()) * 1_000_000n - event.eventNs;
      registryEventLag.observe({ kind: event.kind }, Number(lagNs) / 1e9);
    }
  }

  private async recordByDigest(event: InboxEvent): Promise<void> {
    const prepared = await this.images.prepare(event.repository, event.digest!);
    const created = await this.images.record(prepared);
    await this.settle(this.db, event, 'processed', created ? 'image-recorded' : 'image-exists');
  }

  /**
   * Pushes and tag deletes of one tag run under that tag's lock (and a shared lock on the
   * repository, which manifest deletes take exclusively), oldest registry time first: events of
   * the tag that are stored and older than this one are settled before it, whichever job runs first.
   */
  private async inTagOrder(event: InboxEvent, stream: StreamRef): Promise<void> {
    // Registry reads for this event happen before the locks are taken.
    const prepared = event.kind === 'manifest-push' ? await this.images.prepare(event.repository, event.digest!) : undefined;
    const tag = event.tag!;
    await this.db.transaction(async (gate) => {
      await gate.query(`SELECT pg_advisory_xact_lock_shared($1, hashtext($2)), pg_advisory_xact_lock($3, hashtext($4))`, [
        REPOSITORY_LOCK,
        event.repository,
        TAG_LOCK,
        `${event.repository}:${tag}`,
      ]);
      const backlog = await this.inbox.pendingForTag(gate, event.repository, tag, event.eventNs);
      for (const item of backlog) {
        if (item.id === event.id) {
          await this.applyToTag(item, stream, prepared);
          continue;
        }
        // An older event of this tag: settle it now so the order holds. If it fails it stays
        // pending for its own job (which will then find it superseded by this one).
        try {
          await this.applyToTag(item, stream);
        } catch (e) {
          if (isPermanent(e)) await this.settle(this.db, item, 'ignored', 'ignored', describe(e));
          else this.logger.debug(`registry event ${item.id} left for its own job: ${describe(e)}`);
        }
      }
    });
  }

  private async applyToTag(event: InboxEvent, stream: StreamRef, prepared?: PreparedImage): Promise<void> {
    const tag = event.tag!;
    // Read under the tag lock, so nothing of this tag moves between these reads and the decision.
    const position = await this.positions.get(this.db, event.repository, tag);
    const current = await currentTagImage(this.db, stream.namespace, stream.name, tag);
    if (event.kind === 'manifest-push') return this.pushToTag(event, stream, position, current, prepared);
    return this.deleteTag(event, stream, position, current);
  }

  private async pushToTag(
    event: InboxEvent,
    stream: StreamRef,
    position: TagPosition | null,
    current: string | null,
    prepared?: PreparedImage,
  ): Promise<void> {
    const tag = event.tag!;
    const digest = event.digest!;
    let decision = decidePush({ ...event, digest }, position, current);
    if (decision.action === 'ask') {
      decision = settlePushWithRegistry(digest, await this.source.client().headManifest(event.repository, tag));
    }
    if (decision.action === 'skip') {
      // The tag stays, but the pushed image is still recorded when the registry still has it.
      await this.recordQuietly(event, prepared);
      await this.settle(this.db, event, 'processed', 'superseded', decision.reason);
      return;
    }
    const image = prepared ?? (await this.images.prepare(event.repository, digest));
    const outcome = await this.images.mapTag(stream, tag, image);
    await this.db.transaction(async (tx) => {
      await this.positions.set(tx, event.repository, tag, {
        eventId: event.id,
        eventNs: event.eventNs,
        sourceInstance: event.sourceInstance,
        digest,
        currentImage: digest,
      });
      await this.settle(tx, event, 'processed', outcome.tagChanged ? 'tagged' : 'unchanged');
    });
  }

  private async recordQuietly(event: InboxEvent, prepared?: PreparedImage): Promise<void> {
    try {
      await this.images.record(prepared ?? (await this.images.prepare(event.repository, event.digest!)));
    } catch (e) {
      this.logger.debug(`superseded push ${event.id}: image not recorded: ${describe(e)}`);
    }
  }

  private async deleteTag(event: InboxEvent, stream: StreamRef, position: TagPosition | null, current: string | null): Promise<void> {
    const tag = event.tag!;
    const decision = decideTagDelete(event, position);
    if (decision.action === 'skip') {
      await this.settle(this.db, event, 'processed', 'superseded', decision.reason);
      return;
    }
    const registry = this.source.client();
    const held = await registry.headManifest(event.repository, tag);
    if (held !== null) {
      await this.settle(this.db, event, 'processed', 'superseded', `superseded: the registry has ${held} under this tag again`);
      return;
    }
    await this.db.transaction(async (tx) => {
      const removal = await removeCurrentTagEvent(tx, stream.namespace, stream.name, tag, async (image) => {
        const verdict = tagDeleteRemoves(position, image);
        if (verdict !== 'ask-registry') return verdict;
        return (await registry.headManifest(event.repository, image)) === null;
      });
      const removed = (removal?.removed ?? 0) > 0;
      await this.positions.set(tx, event.repository, tag, {
        eventId: event.id,
        eventNs: event.eventNs,
        sourceInstance: event.sourceInstance,
        digest: null,
        currentImage: removed ? (removal!.changedTops[0]?.after ?? null) : current,
      });
      await this.settle(tx, event, 'processed', removal === null ? 'no-stream' : removed ? 'tag-event-removed' : 'nothing-to-remove');
    });
  }

  /**
   * Distribution's delete event names only repository and digest (a blob delete looks the same).
   * Under the repository's exclusive lock the registry is asked first: a manifest that is there
   * again was pushed after the delete and wins. Otherwise every history entry of that digest
   * leaves the repository's stream, in one transaction with the inbox update.
   */
  private async manifestDelete(event: InboxEvent, stream: StreamRef): Promise<void> {
    const digest = event.digest!;
    const registry = this.source.client();
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [REPOSITORY_LOCK, event.repository]);
      if ((await registry.headManifest(event.repository, digest)) !== null) {
        await this.settle(tx, event, 'processed', 'superseded', 'superseded: the registry has this manifest again');
        return;
      }
      const removal = await removeImageFromStream(tx, stream.namespace, stream.name, digest);
      if (removal) await this.positions.moveCurrentImages(tx, event.repository, removal.changedTops);
      await this.settle(tx, event, 'processed', removal === null ? 'no-stream' : removal.removed ? 'history-removed' : 'nothing-to-remove');
    });
  }
}
