/**
 * Firing rules (level-driven, after openshift-controller-manager's image trigger controller):
 * fire when the tag's current image differs from what the dependent last got; nothing while
 * the tag has no image; nothing while paused (the next evaluation after unpause fires if the
 * image changed). A dependent is never moved to an image older than the one it last got
 * unless the tag was explicitly rolled back.
 *
 * "Older" means either: the current image was already on this tag before the dependent's last
 * image first arrived there (a move back in the tag's own history: judged by the stream's tag
 * history, which only users prune, or by the tag-change feed since the tag last lost its image,
 * which expires and outranks the history while it still holds all of that), or both images
 * carry a creation time and the current one is earlier (an out-of-order push of an older build;
 * fixed reproducible-build stamps do not count, see buildTimeOf).
 * "Explicit" means the move was made by a tag write through the API (cause `spec`, `spec-import` (also
 * an ImageStreamImport request's `spec.images[].to` tags), `istag`,
 * `rollback`, …) rather than by ingestion (`mapping`, `registry`, `alias`, `import`): pushes
 * and mappings that land an older image are ignored, a user re-pointing the tag is obeyed.
 */
export const pushCauses = new Set(['mapping', 'registry', 'alias', 'import', 'push']);

export interface TagState {
  image: string;
  pullSpec: string;
  /** tag_changes id of the move that put `image` on the tag (null when unknown/pruned). */
  changeId: string | null;
  cause: string;
  /** Earliest tag_changes id at which this image was on this tag. */
  firstSeenChangeId?: string | null;
  /** Earliest tag history entry (image_stream_tag_events id) of this image on this tag. */
  firstSeenHistoryId?: string | null;
  /** The feed still holds every move of this tag since it last got an image from none. */
  feedComplete?: boolean;
  created?: string | null;
}

export interface DependentState {
  paused: boolean;
  lastImage?: string | null;
  /** Earliest tag_changes id at which the last image was on this tag. */
  lastImageFirstSeenChangeId?: string | null;
  /** Earliest tag history entry of the last image on this tag. */
  lastImageFirstSeenHistoryId?: string | null;
  lastImageCreated?: string | null;
}

export type FireReason = 'ImageChanged' | 'ExplicitRollback' | 'TagHasNoImage' | 'Paused' | 'UpToDate' | 'OlderImageIgnored';

export interface FireDecision {
  fire: boolean;
  reason: FireReason;
  rollback: boolean;
}

function olderThanLast(tag: TagState, dep: DependentState): boolean {
  // The history keeps every entry until a user prunes it; the feed drops old moves after its retention.
  const ha = tag.firstSeenHistoryId;
  const hb = dep.lastImageFirstSeenHistoryId;
  const a = tag.firstSeenChangeId;
  const b = dep.lastImageFirstSeenChangeId;
  if (ha && hb && BigInt(ha) < BigInt(hb)) return true;
  // A feed that still holds every move since the tag got its first image outranks the history: an
  // image whose older entries were pruned, or removed by a registry manifest delete, and that came
  // back has a new history entry that looks newer than it is. A feed that lost early moves may have
  // lost the last image's first arrival, so the history decides when it has both images.
  if (a && b && BigInt(a) < BigInt(b) && (tag.feedComplete || !(ha && hb))) return true;
  const t = buildTimeOf(tag.created);
  const l = buildTimeOf(dep.lastImageCreated);
  return t !== undefined && l !== undefined && t < l;
}

/**
 * Reproducible builds stamp a fixed time that says nothing about build order: ko, Jib and Bazel
 * write the Unix epoch (or a second after it), Go's zero time shows as year 1. Anything before
 * 1980 (the ZIP epoch, the earliest SOURCE_DATE_EPOCH tools accept) counts as no creation time.
 */
const earliestBuildTime = Date.UTC(1980, 0, 1);

/**
 * The image's creation time in ms when it can order builds, else undefined. A time still ahead
 * of this clock counts as none too: a build host whose clock ran fast stamped it, and counting it
 * would hold back every correctly stamped build after it until someone rolled the tag back.
 */
function buildTimeOf(created: string | null | undefined): number | undefined {
  if (!created) return undefined;
  const ms = Date.parse(created);
  return Number.isFinite(ms) && ms >= earliestBuildTime && ms <= Date.now() ? ms : undefined;
}

export function decideFire(tag: TagState | null, dep: DependentState): FireDecision {
  if (!tag || !tag.image) return { fire: false, reason: 'TagHasNoImage', rollback: false };
  if (dep.paused) return { fire: false, reason: 'Paused', rollback: false };
  if (dep.lastImage && dep.lastImage === tag.image) return { fire: false, reason: 'UpToDate', rollback: false };
  if (dep.lastImage && olderThanLast(tag, dep)) {
    if (pushCauses.has(tag.cause)) return { fire: false, reason: 'OlderImageIgnored', rollback: false };
    return { fire: true, reason: 'ExplicitRollback', rollback: true };
  }
  return { fire: true, reason: 'ImageChanged', rollback: false };
}

/**
 * Idempotency key of a fire: dependent uid + image digest. A rollback back to an image the
 * dependent already got is a new effect, keyed by the move that performed it.
 */
export function idempotencyKey(ownerUid: string, image: string, rollbackChangeId?: string | null): string {
  return rollbackChangeId ? `${ownerUid}/${image}/rollback-${rollbackChangeId}` : `${ownerUid}/${image}`;
}

/**
 * Key of a fire to an image the dependent got once before (its plain key is taken): the fire it
 * moves on from (the change that fire came from, else its time) makes it unique per cycle, and
 * a repeated evaluation of the same state computes it again.
 */
export function repeatKey(ownerUid: string, image: string, status: { lastTriggeredChangeID?: string; lastTriggeredTime?: string }): string {
  return `${ownerUid}/${image}/after-${status.lastTriggeredChangeID ?? status.lastTriggeredTime ?? 'none'}`;
}

/** One link of a causation chain, as far as the loop check needs it. */
interface ChainLink {
  kind?: string;
  namespace: string;
  trigger: string;
}

/**
 * Chains: a dependent that already fired earlier in this chain would fire itself again (a
 * loop), and a chain may not grow past the depth budget. Returns why it stops, or null.
 */
export function chainStopReason(chain: ChainLink[], budget: number, kind: string, namespace: string, name: string): string | null {
  if (chain.some((l) => (l.kind ?? 'Trigger') === kind && l.namespace === namespace && l.trigger === name)) {
    return `causation loop: ${kind === 'Trigger' ? '' : `${kind} `}${namespace}/${name} already fired in this chain`;
  }
  if (chain.length >= budget) return `causation chain depth ${chain.length} reached the budget ${budget}`;
  return null;
}
