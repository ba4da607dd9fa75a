import { ApiError } from '../api-error';
import { mergeApplied, removeFields } from './apply-merge';
import { decodePath, difference, encodePath, type FieldSet, intersection, pathString, sameSet, union } from './field-set';
import { changedFields, fieldSetOf, fieldValues, removedFields } from './field-values';
import { fieldsStillAsLastApplied, KUBECTL_APPLY_MANAGER } from './last-applied';
import type { ListShapes } from './list-shapes';
import {
  capUpdateManagers,
  decodeManagers,
  encodeManagers,
  isResetMarker,
  byteOrder,
  type ManagedFieldsEntry,
  type Manager,
  managerId,
  releaseFields,
} from './managed-fields';

/** Who writes: the request's field manager, the apiVersion it speaks and the subresource it writes through (`status`). */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource?: string;
}

/** Owner of every field of an object that had no managers when it was first applied to. */
const BEFORE_FIRST_APPLY = 'before-first-apply';

type JsonObject = Record<string, unknown>;

/**
 * The managers after an update (create, PUT, non-apply PATCH): the writer takes every field it
 * added or changed from the others, and removed fields are nobody's. `requested` are the
 * managedFields in the request: absent or unreadable means the live ones, `[]`/`[{}]` clears
 * them, anything else replaces them (clients may edit ownership directly). An update that leaves
 * nobody managing the object records nobody (a create records its writer).
 */
export function trackUpdate(
  shapes: ListShapes,
  live: object | null,
  liveEntries: unknown,
  next: object,
  requested: unknown,
  writer: Writer,
  now: string,
): ManagedFieldsEntry[] {
  let managers: Manager[];
  if (isResetMarker(requested)) managers = [];
  else {
    const given = decodeManagers(requested);
    managers = given && given.length > 0 ? given : (decodeManagers(liveEntries) ?? []);
  }
  // An update of an object nobody manages (ownership reset, or written by the server's own
  // paths: imports, registry pushes) starts no tracking, as kube's skipNonAppliedManager skips
  // it; a first apply later gives the existing fields to before-first-apply and so conflicts.
  if (live && managers.length === 0) return [];
  // A create compares with the kind's empty object, as kube-apiserver's create handler compares with scope.Creater.New().
  const before = fieldValues(live ?? shapes.emptyObject ?? {}, shapes);
  const after = fieldValues(next, shapes);
  const changed = changedFields(before, after);
  const removed = removedFields(before, after);
  const id = managerId({ ...writer, operation: 'Update' });
  releaseFields(managers, union(changed, removed), id);
  let updater = managers.find((m) => managerId(m) === id);
  if (!updater && changed.size > 0) {
    updater = { ...writer, operation: 'Update', fields: new Set() };
    managers.push(updater);
  }
  if (updater) {
    updater.fields = difference(union(updater.fields, changed), removed);
    if (changed.size > 0) updater.time = now;
  }
  return encodeManagers(capUpdateManagers(managers));
}

export interface Applied {
  /** The live object with the configuration merged in and the fields the writer stopped applying removed. */
  object: JsonObject;
  managedFields: ManagedFieldsEntry[];
}

/**
 * Server-side apply of `config` (already checked for apiVersion, kind and managedFields) onto the
 * live object (null: it is being created). A field another manager owns may only be changed with
 * `force`, which takes it over; otherwise 409 with one FieldManagerConflict cause per field.
 * Values set equal to the live ones are shared, not taken.
 */
export function applyConfiguration(
  shapes: ListShapes,
  live: JsonObject | null,
  liveEntries: unknown,
  config: JsonObject,
  writer: Writer,
  force: boolean,
  now: string,
): Applied {
  const liveValues = fieldValues(live ?? {}, shapes);
  let managers = decodeManagers(liveEntries) ?? [];
  if (live && managers.length === 0) {
    // Fields written before anyone applied belong to someone: an apply changing them conflicts.
    // As skipNonAppliedManager, those are what the live object adds to the kind's empty object.
    const written = changedFields(fieldValues(shapes.emptyObject ?? {}, shapes), liveValues);
    if (written.size > 0) managers = [{ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: writer.apiVersion, time: now, fields: written }];
  }
  const id = managerId({ ...writer, operation: 'Apply' });
  const previous = managers.find((m) => managerId(m) === id);
  // What the applier owns: the fields it sets and the list items it names, not the maps holding them.
  const appliedFields = fieldSetOf(fieldValues(config, shapes), { mapsItself: false });
  let ownedByOthers: FieldSet = new Set();
  for (const m of managers) if (managerId(m) !== id) ownedByOthers = union(ownedByOthers, m.fields);

  const merged = mergeApplied(live ?? {}, config, shapes) as JsonObject;
  const dropped = difference(difference(previous?.fields ?? new Set(), appliedFields), ownedByOthers);
  // A map or item the applier stops naming stays while anyone, the applier included, still sets
  // something inside it (structured-merge-diff adds owned items back after pruning).
  removeFields(merged as Parameters<typeof removeFields>[0], dropped, union(ownedByOthers, appliedFields));

  const mergedValues = fieldValues(merged, shapes);
  const changed = changedFields(liveValues, mergedValues);
  const removed = removedFields(liveValues, mergedValues);
  const conflicts: { manager: Manager; path: string[] }[] = [];
  for (const m of managers) {
    if (managerId(m) === id) continue;
    for (const p of intersection(m.fields, changed)) conflicts.push({ manager: m, path: decodePath(p) });
  }
  if (conflicts.length > 0 && !force) {
    // kube-apiserver's lastAppliedManager: `kubectl apply --server-side` over client-side apply
    // may take the fields the last-applied annotation still describes (same value live).
    const allowed = writer.manager === KUBECTL_APPLY_MANAGER && live ? fieldsStillAsLastApplied(live, liveValues, shapes, managers) : new Set<string>();
    const remaining = conflicts.filter((c) => !allowed.has(encodePath(c.path)));
    if (remaining.length > 0) throw applyConflict(remaining);
  }

  releaseFields(managers, union(changed, removed), id);
  const fresh = !previous || !sameSet(previous.fields, appliedFields) || changed.size > 0 || removed.size > 0;
  const applier: Manager = { ...writer, operation: 'Apply', time: fresh ? now : previous.time, fields: appliedFields };
  managers = [...managers.filter((m) => managerId(m) !== id), applier];
  return { object: merged, managedFields: encodeManagers(capUpdateManagers(managers)) };
}

/** How kube-apiserver names a manager in a conflict (printManager). */
function describe(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  return m.operation === 'Update' ? `${s} using ${m.apiVersion}` : s;
}

/** 409 as apimachinery's NewApplyConflict renders it. */
function applyConflict(conflicts: { manager: Manager; path: string[] }[]): ApiError {
  const rows = conflicts
    .map((c) => ({ who: describe(c.manager), field: pathString(c.path) }))
    .sort((a, b) => byteOrder(a.who, b.who) || byteOrder(a.field, b.field));
  let message: string;
  if (rows.length === 1) message = `Apply failed with 1 conflict: conflict with ${rows[0]!.who}: ${rows[0]!.field}`;
  else {
    const lines: string[] = [];
    let last: string | undefined;
    for (const r of rows) {
      if (r.who !== last) lines.push(`conflicts with ${r.who}:`);
      last = r.who;
      lines.push(`- ${r.field}`);
    }
    message = `Apply failed with ${rows.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {
    causes: rows.map((r) => ({ reason: 'FieldManagerConflict', message: `conflict with ${r.who}`, field: r.field })),
  });
}
