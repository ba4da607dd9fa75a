import type { ResourceInfo } from '../resource-info';

/**
 * What server-side apply needs to know of a kind's schema: which lists are associative (merged by
 * key fields), which are sets of scalars, and which maps are granular (their keys are data, so the
 * map itself is owned too). Every other list is atomic: replaced and owned as a whole. Patterns
 * are dotted paths with `[]` for list items, as ResourceInfo.mergeKeys spells them.
 */
export interface ListShapes {
  associative: Record<string, string[]>;
  sets: ReadonlySet<string>;
  granularMaps: ReadonlySet<string>;
  /** Objects that are one value (a leaf), not a struct of fields. */
  atomic: ReadonlySet<string>;
  /**
   * Top-level fields nobody owns through this endpoint (upstream's reset fields): the main
   * resource's strategy resets `status`, the status subresource's resets `spec`. Default: the
   * main resource's.
   */
  unmanagedTopLevel?: ReadonlySet<string>;
  /** The kind's empty object (ResourceInfo.emptyObject): the baseline of a create and of before-first-apply. */
  emptyObject?: Readonly<Record<string, unknown>>;
}

/** Which endpoint writes: the object itself or its `status` subresource. */
export type WriteScope = 'main' | 'status';

const unmanagedTopLevelOf: Record<WriteScope, ReadonlySet<string>> = {
  main: new Set(['apiVersion', 'kind', 'status']),
  status: new Set(['apiVersion', 'kind', 'spec']),
};

/** ObjectMeta's shapes (k8s.io/apimachinery's `+listType` markers), shared by every kind. */
const metadataShapes = {
  associative: { 'metadata.ownerReferences': ['uid'] },
  sets: ['metadata.finalizers'],
  granularMaps: ['metadata.labels', 'metadata.annotations'],
};

const cache = new WeakMap<Record<string, string>, Map<string, ListShapes>>();

/** A kind's shapes from its strategic-merge keys (`{'spec.tags': 'name'}`), its atomic structs and ObjectMeta's. */
export function listShapesOf(
  mergeKeys: ResourceInfo['mergeKeys'],
  atomicFields: readonly string[] = [],
  scope: WriteScope = 'main',
  emptyObject?: ResourceInfo['emptyObject'],
  granularMaps: readonly string[] = [],
): ListShapes {
  let byAtomic = cache.get(mergeKeys);
  if (!byAtomic) cache.set(mergeKeys, (byAtomic = new Map()));
  const key = `${scope}\n${atomicFields.join('\n')}\n${emptyObject ? JSON.stringify(emptyObject) : ''}\n${granularMaps.join('\n')}`;
  let shapes = byAtomic.get(key);
  if (!shapes) {
    const associative: Record<string, string[]> = { ...metadataShapes.associative };
    for (const [path, k] of Object.entries(mergeKeys)) associative[path] = [k];
    shapes = { associative, sets: new Set(metadataShapes.sets), granularMaps: new Set([...metadataShapes.granularMaps, ...granularMaps]), atomic: new Set(atomicFields), unmanagedTopLevel: unmanagedTopLevelOf[scope], emptyObject };
    byAtomic.set(key, shapes);
  }
  return shapes;
}
