import { decodePath, type FieldSet, hasDescendant } from './field-set';
import { itemKey } from './field-values';
import type { ListShapes } from './list-shapes';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Merges an apply configuration into the live object as structured-merge-diff does: maps and
 * structs recursively, associative lists item by item (live order kept, new items appended), sets
 * as unions, anything else (scalars, atomic lists) replaced. A null in the configuration removes
 * the field.
 */
export function mergeApplied(live: unknown, applied: unknown, shapes: ListShapes, pattern = ''): Json {
  if (!isObject(applied)) return structuredClone(applied) as Json;
  const result: JsonObject = isObject(live) ? { ...live } : {};
  for (const [field, value] of Object.entries(applied)) {
    const childPattern = pattern ? `${pattern}.${field}` : field;
    const keys = shapes.associative[childPattern];
    const current = result[field];
    if (value === null) delete result[field];
    else if (shapes.atomic.has(childPattern)) result[field] = structuredClone(value);
    else if (Array.isArray(value) && keys) result[field] = mergeAssociative(current, value, keys, shapes, childPattern);
    else if (Array.isArray(value) && shapes.sets.has(childPattern)) result[field] = mergeSet(current, value);
    else if (isObject(value)) result[field] = mergeApplied(current, value, shapes, childPattern);
    else result[field] = structuredClone(value);
  }
  return result;
}

function mergeAssociative(live: Json | undefined, applied: Json[], keys: string[], shapes: ListShapes, pattern: string): Json[] {
  const out = Array.isArray(live) ? [...live] : [];
  for (const item of applied) {
    const key = itemKey(item, keys);
    const index = key === undefined ? -1 : out.findIndex((existing) => itemKey(existing, keys) === key);
    const merged = mergeApplied(index >= 0 ? out[index] : null, item, shapes, `${pattern}[]`);
    if (index >= 0) out[index] = merged;
    else out.push(merged);
  }
  return out;
}

function mergeSet(live: Json | undefined, applied: Json[]): Json[] {
  const out = Array.isArray(live) ? [...live] : [];
  for (const member of applied) if (!out.some((m) => JSON.stringify(m) === JSON.stringify(member))) out.push(member);
  return out;
}

/**
 * Removes fields an applier stopped applying. A list item or owned map goes only when nobody
 * else owns something inside it (`keep`); deeper paths go first.
 */
export function removeFields(obj: JsonObject, paths: FieldSet, keep: FieldSet): void {
  // Whole items first (their fields then go with them); an item's key fields stay while it does.
  const ordered = [...paths].map(decodePath).sort((a, b) => a.length - b.length);
  for (const path of ordered) {
    if (hasDescendant(keep, path) || isKeyField(path)) continue;
    // Metadata as a whole is never removed (managedFields written before fieldValues stopped
    // owning an empty metadata may still name it).
    if (path.length === 1 && path[0] === 'f:metadata') continue;
    removeAt(obj, path);
  }
}

/** `…/k:{"name":"x"}/f:name`: a key field of an associative-list item. */
function isKeyField(path: string[]): boolean {
  const parent = path[path.length - 2];
  const last = path[path.length - 1]!;
  if (!parent?.startsWith('k:') || !last.startsWith('f:')) return false;
  return Object.hasOwn(JSON.parse(parent.slice(2)) as object, last.slice(2));
}

function removeAt(root: JsonObject, path: string[]): void {
  let parent: Json = root;
  for (let i = 0; i < path.length - 1; i++) {
    parent = step(parent, path[i]!);
    if (parent === undefined) return;
  }
  const last = path[path.length - 1]!;
  if (last.startsWith('f:') && isObject(parent)) {
    delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const at = parent.findIndex((item) => matches(item, last));
    if (at >= 0) parent.splice(at, 1);
  }
}

function step(node: Json, key: string): Json {
  if (key.startsWith('f:')) return isObject(node) ? (node[key.slice(2)] as Json) : (undefined as unknown as Json);
  if (Array.isArray(node)) return node.find((item) => matches(item, key)) as Json;
  return undefined as unknown as Json;
}

function matches(item: Json, key: string): boolean {
  if (key.startsWith('v:')) return JSON.stringify(item) === key.slice(2);
  if (key.startsWith('k:')) {
    const fields = JSON.parse(key.slice(2)) as Record<string, unknown>;
    return isObject(item) && Object.entries(fields).every(([k, v]) => item[k] === v);
  }
  return false;
}
