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
 * What the change log says about `resource` (in `namespace`, or all) at version `rv`, for a list
 * with resourceVersionMatch=Exact: objects unchanged since then are their current rows; the others
 * are rebuilt from their last change at or before `rv`. 410 Expired when the log no longer holds a
 * state that is needed (compacted, or a change recorded without its object), as kube-apiserver
 * answers for a compacted revision.
 */
export async function statesAt(q: Queryable, resource: string, namespace: string | undefined, rv: string): Promise<StatesAt> {
  const compacted = await compactedResourceVersion(q);
  if (BigInt(rv) < BigInt(compacted)) throw ApiError.gone(listTooOldMessage);
  const params: unknown[] = [resource, rv];
  const inNamespace = namespace !== undefined ? `AND namespace = $${params.push(namespace)}` : '';
  const later = await q.query<{ namespace: string; name: string; type: string }>(
    `SELECT DISTINCT ON (namespace, name) namespace, name, type FROM resource_changes
      WHERE resource = $1 AND rv > $2 AND type <> 'NONE' ${inNamespace}
      ORDER BY namespace, name, rv`,
    params,
  );
  const changedSince = new Set(later.map((r) => objectKey(r.namespace, r.name)));
  if (later.length === 0) return { changedSince, then: [] };
  const earlier = await q.query<{ namespace: string; name: string; rv: string; type: string; object: ApiObject | null; mark: string | null }>(
    `SELECT DISTINCT ON (c.namespace, c.name) c.namespace, c.name, c.rv::text AS rv, c.type, c.object, c.snapshot_mark::text AS mark
       FROM resource_changes c
       JOIN unnest($3::text[], $4::text[]) AS k(namespace, name) ON k.namespace = c.namespace AND k.name = c.name
      WHERE c.resource = $1 AND c.rv <= $2 AND c.type <> 'NONE'
      ORDER BY c.namespace, c.name, c.rv DESC`,
    [resource, rv, later.map((r) => r.namespace), later.map((r) => r.name)],
  );
  const lastBefore = new Map(earlier.map((r) => [objectKey(r.namespace, r.name), r]));
  const then: LoggedState[] = [];
  for (const next of later) {
    const before = lastBefore.get(objectKey(next.namespace, next.name));
    if (!before) {
      // Created after rv: absent then. Anything else was written before the retained log begins.
      if (next.type !== 'ADDED') throw ApiError.gone(listTooOldMessage);
      continue;
    }
    if (before.type === 'DELETED') continue;
    if (!before.object) throw ApiError.gone(listTooOldMessage);
    const object = structuredClone(before.object);
    object.metadata = { ...object.metadata, resourceVersion: before.rv };
    then.push({ object, mark: before.mark });
  }
  return { changedSince, then };
}
