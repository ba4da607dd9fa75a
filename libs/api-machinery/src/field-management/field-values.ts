import { decodePath, encodePath, type FieldSet, pathString } from './field-set';
import type { ListShapes } from './list-shapes';
import { isJsonObject } from '../json-object';

/** Value recorded for a node that is owned as itself (an associative-list item, a set member, a granular map). */
const PRESENT = '\u0000present';

/**
 * Fields no manager owns (kube-apiserver's strip-meta manager): identity and server-maintained
 * metadata, and `status`, which the main resource's strategies reset on every write (a status
 * subresource's shapes say `spec` instead).
 */
const defaultUnmanagedTopLevel: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'status']);
const unmanagedMetadata = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
]);

/** The key fields of an associative-list item, in the list's key order; undefined when one is missing. */
export function itemKey(item: unknown, keys: string[]): string | undefined {
  if (!isJsonObject(item)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const k of keys) {
    const v = item[k];
    if (v === undefined || v === null || typeof v === 'object') return undefined;
    fields[k] = v;
  }
  return `k:${JSON.stringify(fields)}`;
}

/**
 * Every managed field of an object with a comparable rendering of its value: leaves (scalars,
 * atomic lists, empty maps) by their JSON, owned inner nodes by a presence marker.
 */
export function fieldValues(obj: unknown, shapes: ListShapes): Map<string, string> {
  const out = new Map<string, string>();
  const unmanagedTopLevel = shapes.unmanagedTopLevel ?? defaultUnmanagedTopLevel;
  const walk = (node: Record<string, unknown>, path: string[], pattern: string) => {
    for (const [field, value] of Object.entries(node)) {
      if (value === undefined) continue;
      if (path.length === 0 && unmanagedTopLevel.has(field)) continue;
      if (pattern === 'metadata' && unmanagedMetadata.has(field)) continue;
      const childPath = [...path, `f:${field}`];
      const childPattern = pattern ? `${pattern}.${field}` : field;
      const keys = shapes.associative[childPattern];
      if (path.length === 0 && field === 'metadata' && isJsonObject(value)) {
        // Every object has metadata (its identity lives there): an applier owns fields in it, never
        // the map itself, so a later apply without them cannot remove metadata as a whole.
        walk(value, childPath, childPattern);
      } else if (shapes.atomic.has(childPattern)) {
        out.set(encodePath(childPath), JSON.stringify(value));
      } else if (isJsonObject(value) && Object.keys(value).length > 0) {
        if (shapes.granularMaps.has(childPattern)) out.set(encodePath(childPath), PRESENT);
        walk(value, childPath, childPattern);
      } else if (Array.isArray(value) && value.length > 0 && keys && value.every((item) => itemKey(item, keys) !== undefined)) {
        for (const item of value as Record<string, unknown>[]) {
          const itemPath = [...childPath, itemKey(item, keys)!];
          out.set(encodePath(itemPath), PRESENT);
          walk(item, itemPath, `${childPattern}[]`);
        }
      } else if (Array.isArray(value) && value.length > 0 && shapes.sets.has(childPattern) && value.every((v) => typeof v !== 'object' || v === null)) {
        for (const member of value) out.set(encodePath([...childPath, `v:${JSON.stringify(member)}`]), PRESENT);
      } else {
        out.set(encodePath(childPath), JSON.stringify(value));
      }
    }
  };
  if (isJsonObject(obj)) walk(obj, [], '');
  return out;
}

/**
 * The fields of fieldValues(); `mapsItself: false` leaves out granular maps as members of their own
 * (an applier owns the keys it sets, an updater also owns a map it added: structured-merge-diff).
 */
export function fieldSetOf(values: Map<string, string>, options: { mapsItself?: boolean } = {}): FieldSet {
  if (options.mapsItself !== false) return new Set(values.keys());
  const out = new Set<string>();
  for (const [path, value] of values) {
    const last = decodePath(path).at(-1)!;
    if (value !== PRESENT || !last.startsWith('f:')) out.add(path);
  }
  return out;
}

/** Fields of `after` that are new or hold another value than in `before`. */
export function changedFields(before: Map<string, string>, after: Map<string, string>): FieldSet {
  const out = new Set<string>();
  for (const [path, value] of after) if (before.get(path) !== value) out.add(path);
  return out;
}

/** Fields of `before` that `after` no longer has. */
export function removedFields(before: Map<string, string>, after: Map<string, string>): FieldSet {
  const out = new Set<string>();
  for (const path of before.keys()) if (!after.has(path)) out.add(path);
  return out;
}

/**
 * What structured-merge-diff refuses in an apply configuration: an associative-list item without
 * its key fields, or two items with the same key. Paths as it prints them.
 */
export function associativeListProblems(config: unknown, shapes: ListShapes): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, printed: string, pattern: string) => {
    if (!isJsonObject(node)) return;
    for (const [field, value] of Object.entries(node)) {
      const childPattern = pattern ? `${pattern}.${field}` : field;
      const at = `${printed}.${field}`;
      const keys = shapes.associative[childPattern];
      if (isJsonObject(value)) walk(value, at, childPattern);
      if (!Array.isArray(value) || !keys) continue;
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const key = itemKey(item, keys);
        if (key === undefined) {
          const missing = keys.find((k) => !isJsonObject(item) || item[k] === undefined || item[k] === null) ?? keys[0]!;
          problems.push(`${at}: element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(missing)}`);
          return;
        }
        if (seen.has(key)) problems.push(`${at}: duplicate entries for key ${pathString([key])}`);
        seen.add(key);
        walk(item, `${at}${pathString([key])}`, `${childPattern}[]`);
      });
    }
  };
  walk(config, '', '');
  return problems;
}
