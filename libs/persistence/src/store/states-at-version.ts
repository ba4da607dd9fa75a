import { ApiError, type ApiObject } from '@app/api-machinery';
import { compactedResourceVersion } from '../change-log';
import type { Queryable } from '../database';

/** kube-apiserver's answer to an Exact list at a version its storage has compacted away. */
export const listTooOldMessage = 'The resourceVersion for the provided list is too old.';

/** An object as the change log recorded it at or before a version, with its snapshot mark. */
export interface LoggedState {
  object: ApiObject;
  mark: string | null;
}

export interface StatesAt {
  /** `namespace/name` of every object written after the version: its current row is newer than asked for. */
  changedSince: Set<string>;
  /** Of those, the ones that existed at the version, as they were then. */
  then: LoggedState[];
}

export const objectKey = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;

/**
 * What a caller does with an object the change log cannot rebuild at the version (its states up to
 * then compacted away, or recorded without the object): `expire` answers 410 Expired, as
 * kube-apiserver answers an Exact list at a compacted revision; `current` leaves it out of
 * `changedSince`, so the caller serves its current row (if any) in place of its state then.
 */
export type UnrebuildableStates = 'expire' | 'current';

/**
 * What the change log says about `resource` (in `namespace`, or all) at version `rv`: objects
 * unchanged since then are their current rows; the others are rebuilt from their last change at or
 * before `rv`. For resourceVersionMatch=Exact lists (`expire`): 410 Expired when the version is
 * compacted or a state that is needed is not in the log.
 *
 * `current` (the later pages of a list, whose token's version resumeList has checked): an object
 * whose states up to `rv` are compacted but whose first change after it kept the state it replaced
 * is rebuilt from that change: a delete logs the last state, a write that changed labels or
 * selectable fields logs the previous object (prevObject), so the objects that leave or enter a
 * selection are always rebuilt. Its resourceVersion then is not logged (a delete keeps only its
 * own): such a state carries `rv`, a version at which it held. Any other object is left to its
 * current row (see UnrebuildableStates).
 */
export async function statesAt(
  q: Queryable,
  resource: string,
  namespace: string | undefined,
  rv: string,
  unrebuildable: UnrebuildableStates = 'expire',
): Promise<StatesAt> {
  const expire = unrebuildable === 'expire';
  if (expire) {
    const compacted = await compactedResourceVersion(q);
    if (BigInt(rv) < BigInt(compacted)) throw ApiError.gone(listTooOldMessage);
  }
  const params: unknown[] = [resource, rv];
  const inNamespace = namespace !== undefined ? `AND c.namespace = $${params.push(namespace)}` : '';
  const later = await q.query<{ namespace: string; name: string; rv: string; type: string }>(
    // Each object's first change after rv: ORDER BY the column, qualified (a bare `rv` names the
    // text output column, which puts "10" before "9" and takes a later change for the first).
    `SELECT DISTINCT ON (c.namespace, c.name) c.namespace, c.name, c.rv::text AS rv, c.type FROM resource_changes c
      WHERE c.resource = $1 AND c.rv > $2 AND c.type <> 'NONE' ${inNamespace}
      ORDER BY c.namespace, c.name, c.rv`,
    params,
  );
  const changedSince = new Set(later.map((r) => objectKey(r.namespace, r.name)));
  if (later.length === 0) return { changedSince, then: [] };
  const earlier = await q.query<{ namespace: string; name: string; rv: string; type: string; object: ApiObject | null; mark: string | null }>(
    // One probe of resource_changes_by_object per object, from V backwards (type NONE rows are
    // versions a rolled-back write released: they belong to no object's history).
    `SELECT k.namespace, k.name, c.rv::text AS rv, c.type, c.object, c.snapshot_mark::text AS mark
       FROM unnest($3::text[], $4::text[]) AS k(namespace, name)
       JOIN LATERAL (SELECT rv, type, object, snapshot_mark FROM resource_changes
                      WHERE resource = $1 AND namespace = k.namespace AND name = k.name AND rv <= $2 AND type <> 'NONE'
                      ORDER BY rv DESC LIMIT 1) c ON true`,
    [resource, rv, later.map((r) => r.namespace), later.map((r) => r.name)],
  );
  const lastBefore = new Map(earlier.map((r) => [objectKey(r.namespace, r.name), r]));
  const then: LoggedState[] = [];
  // First changes after rv whose object's state at rv is not logged at or before it.
  const unlogged: typeof later = [];
  for (const next of later) {
    const before = lastBefore.get(objectKey(next.namespace, next.name));
    if (!before) {
      // Created after rv: absent then. Anything else was written before the retained log begins.
      if (next.type === 'ADDED') continue;
      if (expire) throw ApiError.gone(listTooOldMessage);
      unlogged.push(next);
      continue;
    }
    if (before.type === 'DELETED') continue;
    if (!before.object) {
      if (expire) throw ApiError.gone(listTooOldMessage);
      unlogged.push(next);
      continue;
    }
    const object = structuredClone(before.object);
    object.metadata = { ...object.metadata, resourceVersion: before.rv };
    then.push({ object, mark: before.mark });
  }
  if (unlogged.length) then.push(...(await statesReplacedBy(q, resource, rv, unlogged, changedSince)));
  return { changedSince, then };
}

/**
 * The states at `rv` that the first changes after it (`firsts`) replaced, where they logged them: a
 * DELETED change's object, a MODIFIED change's prevObject (labels or selectable fields changed).
 * Each one's computed state is as of that change's mark: tag moves write a change of their own, so
 * only what the change itself wrote to the kind's out-of-row state is newer than `rv`. Objects
 * with neither are taken out of `changedSince`: the caller serves their current rows.
 */
async function statesReplacedBy(
  q: Queryable,
  resource: string,
  rv: string,
  firsts: { namespace: string; name: string; rv: string }[],
  changedSince: Set<string>,
): Promise<LoggedState[]> {
  const rows = await q.query<{ rv: string; type: string; object: ApiObject | null; prev_object: ApiObject | null; mark: string | null }>(
    `SELECT rv::text AS rv, type, object, prev_object, snapshot_mark::text AS mark FROM resource_changes
      WHERE rv = ANY($1::bigint[]) AND resource = $2`,
    [firsts.map((f) => f.rv), resource],
  );
  const byRv = new Map(rows.map((r) => [r.rv, r]));
  const states: LoggedState[] = [];
  for (const first of firsts) {
    const row = byRv.get(first.rv);
    const replaced = row?.type === 'DELETED' ? row.object : row?.type === 'MODIFIED' ? row.prev_object : null;
    if (!row || !replaced) {
      changedSince.delete(objectKey(first.namespace, first.name));
      continue;
    }
    const object = structuredClone(replaced);
    // A prevObject carries the version it was written at; a delete logs its own in the last state.
    const own = row.type === 'MODIFIED' ? object.metadata?.resourceVersion : undefined;
    const ownHeld = own !== undefined && /^\d+$/.test(own) && BigInt(own) <= BigInt(rv);
    object.metadata = { ...object.metadata, resourceVersion: ownHeld ? own : rv };
    states.push({ object, mark: row.mark });
  }
  return states;
}
