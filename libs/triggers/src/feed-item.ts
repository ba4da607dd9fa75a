import { type FieldSelector, type LabelSelector, matchesLabels } from '@app/api-machinery';
import { iso } from './delivery-view';
import { TRIGGER_API_VERSION } from './trigger.types';

/** A feed row as read for output (tag_changes, or a tombstone of a pruned one). */
export interface FeedRow {
  id: string;
  recorded_at: Date;
  namespace: string;
  stream: string;
  tag: string;
  previous_image: string | null;
  /** Null when the tag lost its image. */
  image: string | null;
  docker_image_reference: string | null;
  cause: string;
}

/** The columns of a FeedRow, from a table aliased `alias`. */
export const feedRowColumns = (alias: string) =>
  ['id::text AS id', 'recorded_at', 'namespace', 'stream', 'tag', 'previous_image', 'image', 'docker_image_reference', 'cause'].map((c) => `${alias}.${c}`).join(', ');

/**
 * What a feed row says happened to its tag: a row without an image is the tag's loss of the image
 * it held (tag, its last history entry or its stream deleted); `from` names that image.
 */
function feedItemType(r: FeedRow): 'tag.created' | 'tag.moved' | 'tag.deleted' {
  if (r.image === null) return 'tag.deleted';
  return r.previous_image ? 'tag.moved' : 'tag.created';
}

/**
 * The TagChangeEvent of a row. Its resourceVersion is its feed position (a watcher resumes after
 * the last one it saw), unless given: a DELETED event carries the watch's position instead.
 */
export function toFeedItem(r: FeedRow, resourceVersion: string = r.id): object {
  return {
    kind: 'TagChangeEvent',
    apiVersion: TRIGGER_API_VERSION,
    metadata: { name: r.id, namespace: r.namespace, resourceVersion, creationTimestamp: iso(r.recorded_at) },
    type: feedItemType(r),
    stream: r.stream,
    tag: r.tag,
    from: r.previous_image,
    to: r.image,
    dockerImageReference: r.docker_image_reference,
    cause: r.cause,
  };
}

/** Which feed items a list or watch asks for: its namespace and selectors. */
export interface FeedFilter {
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
}

/** `AND …` conditions on the table aliased `alias` for `filter`, its values pushed onto `params`. */
export function feedFilterSql(filter: FeedFilter, params: unknown[], alias: string): string {
  let sql = filter.namespace ? ` AND ${alias}.namespace = $${params.push(filter.namespace)}` : '';
  // Feed items carry no labels: a label selector keeps all of them or none, as it would match `{}`.
  if (!matchesLabels(filter.labelSelector, {})) sql += ' AND false';
  for (const r of filter.fieldSelector) {
    const column = r.field === 'metadata.name' ? `${alias}.id::text` : r.field === 'metadata.namespace' ? `${alias}.namespace` : null;
    if (column) sql += ` AND ${column} ${r.op === '=' ? '=' : '<>'} $${params.push(r.value)}`;
  }
  return sql;
}
