import {
  ApiError,
  compareQuantities,
  formatQuantity,
  parseQuantity,
  quantityOf,
  refOf,
} from '@app/api-machinery';
import type { Queryable } from '@app/persistence';
import { imageStreamMappingsInfo } from '../resources/resource-infos';
import type { QuotaNamespaces } from './quota-namespaces';
import { LIMIT_TYPE_IMAGE, type LimitRange, RESOURCE_STORAGE } from './quota.types';
import { type StreamLimits, streamLimitsOf, StreamLimitsVerifier } from './stream-limits';

/** openshift-apiserver's LimitRange error (admission/limitrange newLimitExceededError). */
export function limitExceeded(limitType: string, resource: string, requested: string, limit: string): string {
  return `requested usage of ${resource} exceeds the maximum limit per ${limitType} (${requested} > ${limit})`;
}

/**
 * errors.NewAggregate's message: one error as itself, several in brackets, each distinct message
 * once (two LimitRanges with the same max refuse with one message, unbracketed).
 */
export function aggregate(messages: string[]): string {
  const distinct = [...new Set(messages)];
  return distinct.length === 1 ? distinct[0]! : `[${distinct.join(', ')}]`;
}

/** The namespace's LimitRanges (no query when the index says it holds none). */
export async function limitRangesOf(
  q: Queryable,
  namespaces: QuotaNamespaces,
  namespace: string,
): Promise<LimitRange[]> {
  if (!(await namespaces.hasLimitRanges(namespace))) return [];
  const rows = await q.query<{ body: LimitRange }>(
    `SELECT body FROM limit_ranges WHERE namespace = $1 ORDER BY name`,
    [namespace],
  );
  return rows.map((r) => r.body);
}

/**
 * The problem of one LimitRange with an image of `size` bytes (admitImage): its first
 * `openshift.io/Image` item whose `max.storage` is below the size, or null.
 */
export function imageSizeProblem(limitRange: LimitRange, size: number): string | null {
  for (const item of limitRange.spec?.limits ?? []) {
    if (item.type !== LIMIT_TYPE_IMAGE) continue;
    const max = item.max?.[RESOURCE_STORAGE];
    if (max === undefined) continue;
    const requested = quantityOf(size, 'BinarySI');
    if (compareQuantities(parseQuantity(max), requested) < 0)
      return limitExceeded(
        LIMIT_TYPE_IMAGE,
        RESOURCE_STORAGE,
        formatQuantity(requested),
        formatQuantity(parseQuantity(max)),
      );
  }
  return null;
}

/**
 * `image.openshift.io/ImageLimitRange` admission of an ImageStreamMapping: an image larger than
 * a LimitRange's `openshift.io/Image` `max.storage` (its dockerImageMetadata.Size) is refused
 * with 403, before anything is written.
 */
export class ImageLimits {
  /** openshift.io/ImageStream limits, which a mapping's new image is checked against too. */
  readonly streams: StreamLimitsVerifier;

  constructor(readonly namespaces: QuotaNamespaces) {
    this.streams = new StreamLimitsVerifier(namespaces);
  }

  /**
   * Refuses the mapping of an image of `size` bytes over a LimitRange; answers the namespace's
   * openshift.io/ImageStream limits (read with the same query) for the stream write that follows.
   */
  async admitMapping(
    q: Queryable,
    namespace: string,
    streamName: string,
    size: number | undefined,
  ): Promise<StreamLimits | null> {
    const ranges = await limitRangesOf(q, this.namespaces, namespace);
    // A stored Image may predate the decode check of its metadata: a Size that is no number counts as none.
    const bytes = typeof size === 'number' && Number.isFinite(size) ? size : 0;
    const problems = ranges.map((r) => imageSizeProblem(r, bytes)).filter((p): p is string => p !== null);
    if (problems.length)
      throw ApiError.forbiddenOn(refOf(imageStreamMappingsInfo), streamName, aggregate(problems));
    return streamLimitsOf(ranges);
  }
}
