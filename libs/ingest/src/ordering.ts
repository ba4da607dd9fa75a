/**
 * Ordering rules for events that touch one repository tag. Pure functions: the processor feeds them
 * what it read under the tag's lock and, when they say "ask", what the registry answered.
 *
 * The registry stamps each event with its own clock (nanoseconds) and `source.instanceID`. Within one
 * registry process those stamps order events exactly. Across processes (replicas, a restart) the
 * clocks are different clocks, skewed by any amount, so their stamps order nothing: the registry is
 * asked what the tag holds (one HEAD, once per tag after a restart; per push behind replicas).
 */

/** What the service knows of the newest registry event applied to a repository tag. */
export interface TagPosition {
  eventId: string;
  eventNs: bigint;
  sourceInstance: string;
  /** Digest the registry had under the tag per that event; null after a tag delete. */
  digest: string | null;
  /** Image of the tag's newest history entry right after that event was applied (null: empty). */
  currentImage: string | null;
}

export interface TagEventFacts {
  id: string;
  eventNs: bigint;
  sourceInstance: string;
}

export type OrderingDecision =
  | { action: 'apply' }
  | { action: 'skip'; reason: string }
  | { action: 'ask'; reason: string }
  /** Apply, unless the registry holds `previous` (the last applied push) under the tag: see decidePush. */
  | { action: 'verify'; previous: string };

/**
 * Pushes of one tag stamped this close together may have overlapped: distribution stamps a push
 * when its manifest is stored and writes the tag after that, so two clients pushing at once can
 * have their tags written in the other order than stamped.
 */
export const CONCURRENT_PUSH_WINDOW_NS = 5_000_000_000n;

export type Precedence = 'newer' | 'older' | 'same-event' | 'uncertain';

/** Is `event` newer than the recorded position of its tag? */
export function precedence(event: TagEventFacts, position: TagPosition | null): Precedence {
  if (!position) return 'newer';
  if (position.eventId === event.id) return 'same-event';
  const diff = event.eventNs - position.eventNs;
  const sameClock = event.sourceInstance !== '' && event.sourceInstance === position.sourceInstance;
  if (diff === 0n || !sameClock) return 'uncertain';
  return diff > 0n ? 'newer' : 'older';
}

/**
 * A manifest push to a tag. `currentImage` is the tag's newest history entry now (null: none).
 * - Older than the recorded position: the tag already at this image, skip; otherwise ask the
 *   registry. A late event never moves the tag back, but one registry's stamps are its wall clock
 *   (distribution stamps events with time.Now()), which can step back: a push stamped before the
 *   last applied event may be the newer one, and then the registry holds its digest under the tag.
 * - Newer, and the tag is where the last applied event left it: apply; when it is stamped within
 *   CONCURRENT_PUSH_WINDOW_NS of that event, verify: apply unless the registry holds the previous
 *   push's digest under the tag (its tag written after this one's; the processor then looks again,
 *   and settles this push superseded if it still does and no later push of that digest is pending).
 * - The tag was changed by something the position does not know of (an API mapping, a crash
 *   between the tag move and the position write), the stamps are too close to trust, or this
 *   event was already being applied: ask the registry what the tag holds.
 */
export function decidePush(event: TagEventFacts & { digest: string }, position: TagPosition | null, currentImage: string | null): OrderingDecision {
  switch (precedence(event, position)) {
    case 'older':
      if (currentImage === event.digest) {
        return { action: 'skip', reason: `superseded: a later registry event (${position!.eventId}) already set this tag` };
      }
      return { action: 'ask', reason: 'stamped before the last applied event of this tag (a late event, or a registry clock that stepped back)' };
    case 'uncertain':
      return { action: 'ask', reason: 'registry timestamps from different clocks (or equal) do not order the events' };
    case 'same-event':
      return currentImage === event.digest
        ? { action: 'apply' }
        : { action: 'ask', reason: 'the tag moved after this event was applied' };
    case 'newer': {
      if (currentImage === event.digest) return { action: 'apply' };
      const expected = position ? position.currentImage : null;
      if (currentImage !== expected) return { action: 'ask', reason: 'the tag was changed outside registry ingestion' };
      // Stamped just after another push of the tag: the two may have overlapped, and the registry
      // may have written the earlier-stamped one's tag last (then it holds that one).
      if (position?.digest && event.eventNs - position.eventNs < CONCURRENT_PUSH_WINDOW_NS) return { action: 'verify', previous: position.digest };
      return { action: 'apply' };
    }
  }
}

/** The registry's answer to "what does this tag hold now?" settles a push that was in doubt. */
export function settlePushWithRegistry(digest: string, registryDigest: string | null): OrderingDecision {
  if (registryDigest === digest) return { action: 'apply' };
  return registryDigest === null
    ? { action: 'skip', reason: 'superseded: the registry no longer has this tag' }
    : { action: 'skip', reason: `superseded: the registry now has ${registryDigest} under this tag` };
}

/**
 * A tag delete: always settled by asking the registry whether the tag exists (a re-push after the
 * delete wins, however it is stamped: a late delete finds the tag there again, and a registry
 * clock that stepped back does not keep a tag the registry dropped). Once it confirms the tag is
 * gone, the whole tag leaves the stream's status, so the result does not depend on whether the
 * manifest delete that came with it (G5) ran first.
 */
export function decideTagDelete(event: TagEventFacts, position: TagPosition | null): OrderingDecision {
  if (precedence(event, position) === 'older') {
    return { action: 'ask', reason: 'stamped before the last applied event of this tag: applied only if the registry confirms the tag is gone' };
  }
  return { action: 'ask', reason: 'a tag delete is applied only when the registry confirms the tag is gone' };
}

/**
 * The position after applying `event`: it names the event, but keeps the newer stamp of the
 * position it replaces when the event was stamped before it (applied because the registry
 * confirmed it), so that a stamp between the two is still recognised as older.
 */
export function nextPosition(
  event: TagEventFacts,
  position: TagPosition | null,
  digest: string | null,
  currentImage: string | null,
): TagPosition {
  const older = position !== null && precedence(event, position) === 'older';
  return {
    eventId: event.id,
    eventNs: older ? position.eventNs : event.eventNs,
    sourceInstance: older ? position.sourceInstance : event.sourceInstance,
    digest,
    currentImage,
  };
}

/**
 * A push whose manifest the registry answered 404 for (deleted before the event was processed):
 * what the registry now holds under the tag decides. Still this digest (a storage that lags):
 * retry. Another digest or no tag: the image is gone from the registry, the event is superseded.
 */
export function settleMissingManifest(digest: string, registryDigest: string | null): { action: 'retry' } | { action: 'skip'; reason: string } {
  if (registryDigest === digest) return { action: 'retry' };
  return {
    action: 'skip',
    reason:
      registryDigest === null
        ? 'superseded: the image is gone from the registry, and so is the tag'
        : `superseded: the image is gone from the registry, which now has ${registryDigest} under this tag`,
  };
}
