/**
 * Field sets for server-side apply, after sigs.k8s.io/structured-merge-diff. A field is named by
 * its path of FieldsV1 keys: `f:<field>` for a struct or map field, `k:<json>` for an item of an
 * associative list (by its key fields), `v:<json>` for a member of a set list. A set holds each
 * path JSON-encoded, so set algebra is plain `Set<string>` work; FieldsV1 is the wire form.
 */

/** The wire form: a tree of FieldsV1 keys; `{}` is a leaf, `.` marks a node that is itself owned. */
export type FieldsV1 = { [key: string]: FieldsV1 };

/** Paths, each a JSON array of FieldsV1 keys. */
export type FieldSet = Set<string>;

const SELF = '.';

export const encodePath = (path: string[]): string => JSON.stringify(path);
export const decodePath = (encoded: string): string[] => JSON.parse(encoded) as string[];

export function union(a: FieldSet, b: FieldSet): FieldSet {
  const out = new Set(a);
  for (const p of b) out.add(p);
  return out;
}

export function difference(a: FieldSet, b: FieldSet): FieldSet {
  const out = new Set<string>();
  for (const p of a) if (!b.has(p)) out.add(p);
  return out;
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out = new Set<string>();
  for (const p of a) if (b.has(p)) out.add(p);
  return out;
}

export function sameSet(a: FieldSet, b: FieldSet): boolean {
  if (a.size !== b.size) return false;
  for (const p of a) if (!b.has(p)) return false;
  return true;
}

/** True when a path under `prefix` (not `prefix` itself) is in the set. */
export function hasDescendant(set: FieldSet, prefix: string[]): boolean {
  const head = encodePath(prefix).slice(0, -1) + ',';
  for (const p of set) if (p.startsWith(head)) return true;
  return false;
}

/** The set as FieldsV1: keys sorted (`.` first), owned inner nodes marked with `.`. */
export function toFieldsV1(set: FieldSet): FieldsV1 {
  const root: FieldsV1 = {};
  const owned = new Set<FieldsV1>();
  for (const encoded of set) {
    let node = root;
    for (const key of decodePath(encoded)) node = node[key] ??= {};
    owned.add(node);
  }
  for (const node of owned) if (Object.keys(node).length > 0) node[SELF] = {};
  return sorted(root);
}

function sorted(node: FieldsV1): FieldsV1 {
  const keys = Object.keys(node).sort((a, b) => (a === SELF ? -1 : b === SELF ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const out: FieldsV1 = {};
  for (const k of keys) out[k] = sorted(node[k]!);
  return out;
}

/** FieldsV1 back to a set; anything that is not a tree of objects is rejected. */
export function fromFieldsV1(tree: unknown): FieldSet {
  const set = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new Error(`invalid FieldsV1 node at ${encodePath(path)}`);
    const entries = Object.entries(node as Record<string, unknown>);
    if (entries.length === 0 && path.length > 0) set.add(encodePath(path));
    for (const [key, child] of entries) {
      if (key === SELF) set.add(encodePath(path));
      else walk(child, [...path, key]);
    }
  };
  walk(tree, []);
  return set;
}

/** A path as structured-merge-diff prints it in conflicts: `.spec.tags[name="latest"].from.name`. */
export function pathString(path: string[]): string {
  return path
    .map((key) => {
      const body = key.slice(2);
      switch (key.slice(0, 2)) {
        case 'f:':
          return `.${body}`;
        case 'k:': {
          const fields = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.entries(fields)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`;
        }
        case 'v:':
          return `[=${body}]`;
        case 'i:':
          return `[${body}]`;
        default:
          return key;
      }
    })
    .join('');
}
