import { createHash } from 'node:crypto';
import { classifyEvent, type StoredEvent } from './envelope';

/** `source.instanceID` of the events a resync stores: never a registry's, so ingestion asks the registry (see ordering.ts). */
export const RESYNC_SOURCE_INSTANCE = 'imagestreamd-resync';

/** What ingestion last applied to a repository tag (registry_tag_positions). */
export interface AppliedTag {
  eventId: string;
  /** null: the last applied event was a tag delete. */
  digest: string | null;
}

/** One repository as a resync pass read it. */
export interface RepositoryReading {
  repository: string;
  /** Each listed tag and the digest a HEAD found under it (tags gone by the HEAD are left out). */
  registryTags: ReadonlyMap<string, string>;
  /** False when the tag list was cut at the pass's budget: an unlisted tag may still exist. */
  complete: boolean;
  applied: ReadonlyMap<string, AppliedTag>;
  /** Tags with a registry event still waiting in the inbox: their outcome is on its way. */
  pendingTags: ReadonlySet<string>;
  /** A manifest delete (no tag) is waiting: it may explain tags that are gone, so deletes wait for it. */
  manifestDeletePending: boolean;
}

export type ResyncAction =
  | { kind: 'manifest-push'; tag: string; digest: string; after: string }
  | { kind: 'tag-delete'; tag: string; after: string };

/**
 * The notifications the registry's present state implies ingestion has missed: a tag holding
 * another digest than the last applied push (or never applied) is a lost push; a tag the last
 * applied event left holding an image, now gone from a complete listing, a lost tag delete.
 * Whatever ingestion applied last is what it was told, so tags moved since through the API
 * (mappings, imports, `oc delete istag`) are left as they are.
 */
export function planRepositoryResync(r: RepositoryReading): ResyncAction[] {
  const actions: ResyncAction[] = [];
  for (const [tag, digest] of r.registryTags) {
    if (r.pendingTags.has(tag)) continue;
    const applied = r.applied.get(tag);
    if (applied?.digest === digest) continue;
    actions.push({ kind: 'manifest-push', tag, digest, after: applied?.eventId ?? '' });
  }
  if (r.complete && !r.manifestDeletePending) {
    for (const [tag, applied] of r.applied) {
      if (applied.digest === null || r.registryTags.has(tag) || r.pendingTags.has(tag)) continue;
      actions.push({ kind: 'tag-delete', tag, after: applied.eventId });
    }
  }
  return actions;
}

/**
 * The inbox event for an action, shaped as distribution sends it. Its id is derived from the
 * repository, the action and the applied event it follows: every replica's pass stores the same
 * id for the same gap (a repeat is a no-op), and a gap that opens again after the next applied
 * event gets a new one.
 */
export function resyncEvent(repository: string, action: ResyncAction, now: Date): StoredEvent {
  const digest = action.kind === 'manifest-push' ? action.digest : '';
  const id = `resync-${createHash('sha256').update([repository, action.tag, action.kind, digest, action.after].join('\n')).digest('hex').slice(0, 32)}`;
  const classified = classifyEvent(
    {
      id,
      timestamp: now.toISOString(),
      action: action.kind === 'manifest-push' ? 'push' : 'delete',
      target: { repository, tag: action.tag, ...(action.kind === 'manifest-push' ? { digest: action.digest } : {}) },
      source: { instanceID: RESYNC_SOURCE_INSTANCE },
    },
    'resync',
  );
  if (!('stored' in classified)) throw new Error(`resync event for ${repository}:${action.tag} is not a stored kind`);
  return classified.stored;
}
