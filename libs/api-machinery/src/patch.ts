import type { Operation } from 'fast-json-patch';
import { ApiError } from './api-error';
import { goFormat } from './go-format';
import { mergeApplied } from './field-management/apply-merge';
import { applyConfiguration, type Writer } from './field-management/field-manager';
import { applyJsonPatchOperations, refuseTooManyJsonPatchOperations } from './json-patch-apply';
import { listShapesOf } from './field-management/list-shapes';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const patchContentTypes: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function patchTypeOf(contentType: string): PatchType | undefined {
  return patchContentTypes[contentType.split(';')[0]!.trim().toLowerCase()];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k] ?? null, v);
  }
  return result;
}

/**
 * ObjectMeta's patch strategies, which every kind carries (apimachinery's `patchStrategy:"merge"`):
 * ownerReferences merge by uid, finalizers merge as a set of strings.
 */
const objectMetaMergeKeys: Record<string, string> = { 'metadata.ownerReferences': 'uid' };
const primitiveMergeLists = new Set(['metadata.finalizers']);

const deleteFromPrimitiveList = '$deleteFromPrimitiveList/';
const setElementOrder = '$setElementOrder/';

/**
 * Strategic merge patch for the lists this API declares merge keys on (e.g. `spec.tags` by `name`)
 * and ObjectMeta's merge lists. Lists without a strategy are replaced, as in apimachinery;
 * `$patch: delete|replace` directives on list items and maps (any other value is 400),
 * `$deleteFromPrimitiveList/<list>` and `$setElementOrder/<list>` (what `kubectl apply` sends when
 * a list changes) are honoured.
 */
export function strategicMergePatch(target: Json, patch: Json, mergeKeys: Record<string, string>, path = ''): Json {
  if (!isObject(patch)) return patch;
  if ('$patch' in patch) return mapDirective(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  const original: JsonObject = isObject(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(deleteFromPrimitiveList)) {
      const list = k.slice(deleteFromPrimitiveList.length);
      const current = result[list];
      if (primitiveMergeLists.has(path ? `${path}.${list}` : list) && Array.isArray(v) && Array.isArray(current)) {
        result[list] = current.filter((item) => !v.includes(item));
      }
      continue;
    }
    if (k.startsWith('$')) continue;
    const childPath = path ? `${path}.${k}` : k;
    if (v === null) {
      delete result[k];
      continue;
    }
    const key = mergeKeys[childPath];
    if (primitiveMergeLists.has(childPath) && Array.isArray(v)) {
      const current = Array.isArray(result[k]) ? result[k] : [];
      result[k] = [...current, ...v].filter((item, i, all) => all.indexOf(item) === i);
    } else if (key && Array.isArray(v)) {
      result[k] = mergeList(Array.isArray(result[k]) ? (result[k]) : [], v, key, mergeKeys, childPath);
    } else if (isObject(v)) {
      const merged = strategicMergePatch(result[k] ?? null, v, mergeKeys, childPath);
      if (merged === null) delete result[k];
      else result[k] = merged;
    } else {
      result[k] = v;
    }
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(setElementOrder) || !Array.isArray(order)) continue;
    const list = k.slice(setElementOrder.length);
    const listPath = path ? `${path}.${list}` : list;
    const merged = result[list];
    if (!Array.isArray(merged) || !(primitiveMergeLists.has(listPath) || mergeKeys[listPath])) continue;
    const previous = original[list];
    result[list] = orderMergedList(merged, order, Array.isArray(previous) ? previous : [], mergeKeys[listPath]);
  }
  return result;
}

/**
 * apimachinery's normalizeElementOrder: the items `$setElementOrder` names come in its order, the
 * others (known only to the server) keep their places relative to the live list around them.
 */
function orderMergedList(merged: Json[], order: Json[], live: Json[], key: string | undefined): Json[] {
  const idOf = (item: Json): Json => (key && isObject(item) ? (item[key] ?? null) : item);
  const ids = order.map(idOf);
  const liveIds = live.map(idOf);
  const rank = (ranked: Json[], item: Json) => ranked.indexOf(idOf(item));
  const patchItems = merged.filter((item) => ids.includes(idOf(item))).sort((a, b) => rank(ids, a) - rank(ids, b));
  const serverOnly = merged.filter((item) => !ids.includes(idOf(item))).sort((a, b) => rank(liveIds, a) - rank(liveIds, b));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(serverOnly[i++]!);
    else if (i >= serverOnly.length) out.push(patchItems[j++]!);
    else {
      const left = rank(liveIds, serverOnly[i]!);
      const right = rank(liveIds, patchItems[j]!);
      out.push(left >= 0 && right >= 0 && left < right ? serverOnly[i++]! : patchItems[j++]!);
    }
  }
  return out;
}

/**
 * A map's own `$patch` (apimachinery's handleDirectiveInMergeMap): `replace` keeps the patch's
 * fields, `delete` drops the map, anything else is ErrBadPatchType. Upstream answers that one
 * 500 (interpretStrategicMergePatchError passes it through); bad input is 400 here.
 */
function mapDirective(patch: JsonObject): Json {
  const directive = patch['$patch'];
  if (directive === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return rest;
  }
  if (directive === 'delete') return null;
  throw badPatchType(directive, patch);
}

function badPatchType(directive: Json | undefined, item: JsonObject): ApiError {
  return ApiError.badRequest(`unknown patch type: ${goFormat(directive, 's')} in map: ${goFormat(item, 'v')}`);
}

function noMergeKey(item: Json | undefined, key: string): ApiError {
  return ApiError.badRequest(`map: ${goFormat(item, 'v')} does not contain declared merge key: ${key}`);
}

/**
 * apimachinery's mergeSliceWithSpecialElements, before any item merges: items carrying `$patch`
 * are taken out in order; `delete` removes the live items with its merge key, `replace` (with
 * or without other fields) makes the list the patch's other items, `merge` and anything else
 * fail the patch (400 here where upstream answers 500).
 */
function listDirectives(current: Json[], patch: Json[], key: string): { live: Json[]; items: Json[] } {
  let live = current;
  const items: Json[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isObject(item) || !('$patch' in item)) {
      items.push(item);
      continue;
    }
    const directive = item['$patch'];
    if (directive === 'delete') {
      if (!(key in item)) throw noMergeKey(item, key);
      live = live.filter((existing) => !(isObject(existing) && existing[key] === item[key]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw ApiError.badRequest('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, item);
    }
  }
  return replace ? { live: items, items: [] } : { live, items };
}

function mergeList(
  current: Json[],
  patch: Json[],
  key: string,
  mergeKeys: Record<string, string>,
  path: string,
): Json[] {
  const { live, items } = listDirectives(current, patch, key);
  const out = [...live];
  for (const item of items) {
    if (!isObject(item) || !(key in item)) throw noMergeKey(item, key);
    const index = out.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (index >= 0) out[index] = strategicMergePatch(out[index] ?? null, item, mergeKeys, `${path}[]`);
    else out.push(strategicMergePatch(null, item, mergeKeys, `${path}[]`));
  }
  return out;
}

const rfc6902Operations = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Who applies to a view that keeps no ownership (ImageStreamTag, ImageTag), and the view kind's
 * empty object: kube-apiserver's field manager finds no managers on such a view, so its
 * before-first-apply manager owns every field the live view sets, and an apply changing one is a
 * 409 unless forced.
 */
export interface ViewApplier {
  writer: Writer;
  force: boolean;
  emptyObject?: Readonly<Record<string, unknown>>;
}

/**
 * Applies a patch document of the given type to a plain JSON object; bad patches are 4xx. An
 * apply to a view kind (`applier`) tracks ownership as a view's field manager would.
 */
export function applyPatchDocument(
  type: PatchType,
  current: object,
  patch: unknown,
  mergeKeys: Record<string, string>,
  applier?: ViewApplier,
): object {
  const base = structuredClone(current) as Json;
  switch (type) {
    case 'merge':
      if (!isObject(patch)) throw ApiError.badRequest('merge patch must be a JSON object');
      return asObject(mergePatch(base, patch));
    case 'strategic':
      if (!isObject(patch)) throw ApiError.badRequest('strategic merge patch must be a JSON object');
      return asObject(strategicMergePatch(base, patch, { ...objectMetaMergeKeys, ...mergeKeys }));
    case 'json': {
      if (!Array.isArray(patch)) throw ApiError.badRequest('json patch must be an array of operations');
      const ops = patch as Operation[];
      refuseTooManyJsonPatchOperations(ops.length);
      // fast-json-patch also runs its internal `_get` (and would take it as a no-op); RFC 6902 has
      // six operations, and apimachinery's json-patch answers any other kind with a 422.
      for (const op of ops as unknown[]) {
        const kind = typeof op === 'object' && op !== null ? (op as { op?: unknown }).op : undefined;
        if (typeof kind === 'string' && !rfc6902Operations.has(kind)) {
          throw jsonPatchNotApplicable();
        }
      }
      return asObject(applyJsonPatchOperations(base as object, ops) as Json);
    }
    case 'apply': {
      // Views over stored kinds (ImageStreamTag, /status) keep no field ownership of their own:
      // an apply merges the configuration in. Stored kinds apply with ownership (GenericStore).
      if (!isObject(patch)) throw ApiError.badRequest('an apply configuration must be an object');
      const { managedFields: _ignored, ...metadata } = isObject(patch['metadata']) ? patch['metadata'] : {};
      if (applier) {
        const shapes = { ...listShapesOf(mergeKeys), emptyObject: applier.emptyObject };
        const { object } = applyConfiguration(shapes, base as JsonObject, undefined, { ...patch, metadata }, applier.writer, applier.force, new Date().toISOString());
        return asObject(object as Json);
      }
      return asObject(mergeApplied(base, { ...patch, metadata }, listShapesOf(mergeKeys)));
    }
  }
}

/**
 * A JSON patch that does not apply (a failed `test`, a missing path, an operation RFC 6902 does
 * not define): kube-apiserver answers NewGenericServerResponse(422), which keeps only the
 * generic wording and an empty details object, not json-patch's own message.
 */
function jsonPatchNotApplicable(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

function asObject(v: Json): object {
  if (!isObject(v)) throw ApiError.badRequest('patch result is not an object');
  return v;
}
