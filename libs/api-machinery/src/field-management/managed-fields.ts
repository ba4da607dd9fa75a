import { type FieldError, fieldErr } from '../field-errors';
import { difference, type FieldSet, fromFieldsV1, toFieldsV1, type FieldsV1, union } from './field-set';

/** metav1.ManagedFieldsEntry as served. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldsV1;
  subresource?: string;
}

/** One manager's ownership, decoded. */
export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

/** Update managers kept before the oldest are folded together (kube-apiserver's cap). */
const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
const MAX_MANAGER_LENGTH = 128;

/**
 * Identity of a manager (upstream BuildManagerIdentifier): name, operation and subresource, plus
 * the apiVersion for updaters; an applier is one manager whatever version it applies with.
 */
export function managerId(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource ?? '']);
}

/** fieldManager rules shared by create, update and patch options and by managedFields entries. */
export function validateFieldManager(manager: string | undefined, field: string): FieldError[] {
  if (manager === undefined) return [];
  if (Buffer.byteLength(manager) > MAX_MANAGER_LENGTH) return [fieldErr.tooLong(field, MAX_MANAGER_LENGTH)];
  // eslint-disable-next-line no-control-regex -- printable characters only, as unicode.IsPrint
  if (/[\u0000-\u001f\u007f-\u009f]/.test(manager)) return [fieldErr.invalid(field, manager, 'may only contain printable characters')];
  return [];
}

/** apimachinery's ValidateManagedFields. */
export function validateManagedFields(entries: unknown): FieldError[] {
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) return [fieldErr.invalid('metadata.managedFields', entries, 'must be a list')];
  const errors: FieldError[] = [];
  entries.forEach((raw, i) => {
    const at = `metadata.managedFields[${i}]`;
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as ManagedFieldsEntry;
    if (isResetMarker(entries)) return;
    if (e.operation !== 'Apply' && e.operation !== 'Update') errors.push(fieldErr.invalid(`${at}.operation`, e.operation ?? '', 'must be `Apply` or `Update`'));
    if (e.fieldsType !== undefined && e.fieldsType !== '' && e.fieldsType !== 'FieldsV1') {
      errors.push(fieldErr.invalid(`${at}.fieldsType`, e.fieldsType, 'must be `FieldsV1`'));
    }
    errors.push(...validateFieldManager(e.manager, `${at}.manager`));
  });
  return errors;
}

/** RFC 3339 as Go's time.Parse reads metav1.Time (fractional seconds and offsets allowed). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The first `time` of the entries that does not decode as a metav1.Time (kube-apiserver's decoder
 * then refuses the body with 400), or undefined.
 */
export function undecodableManagedFieldsTime(entries: unknown): string | undefined {
  if (!Array.isArray(entries)) return undefined;
  for (const e of entries as ManagedFieldsEntry[]) {
    const time: unknown = (e as { time?: unknown } | null)?.time;
    if (time === undefined || time === null) continue;
    if (typeof time !== 'string') return JSON.stringify(time);
    if (!RFC3339.test(time) || Number.isNaN(Date.parse(time))) return time;
  }
  return undefined;
}

/** A metav1.Time as the server writes it: UTC, whole seconds (`2026-12-01T00:42:10Z`). */
function canonicalTime(time: string | undefined): string | undefined {
  if (!time) return time;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `[]` or `[{}]` in a request clears every manager (upstream isResetManagedFields). */
export function isResetMarker(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && typeof entries[0] === 'object' && entries[0] !== null && Object.keys(entries[0] as object).length === 0;
}

/** Decodes entries; undefined when they cannot be read (the caller then keeps the live ones). */
export function decodeManagers(entries: unknown): Manager[] | undefined {
  if (!Array.isArray(entries)) return undefined;
  try {
    return (entries as ManagedFieldsEntry[]).map((e) => ({
      manager: e.manager ?? '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: e.apiVersion ?? '',
      // Clients that parse times (client-node's Date) send `…:10.000Z`: the same time, kept as the server writes it.
      time: canonicalTime(e.time),
      subresource: e.subresource || undefined,
      fields: fromFieldsV1(e.fieldsV1 ?? {}),
    }));
  } catch {
    return undefined;
  }
}

/** Go's string order (bytes), not the locale's. */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Wire order as kube-apiserver sorts them (sortEncodedManagedFields): appliers first, then by time, name, apiVersion and subresource. */
export function encodeManagers(managers: Manager[]): ManagedFieldsEntry[] {
  const kept = managers.filter((m) => m.fields.size > 0);
  kept.sort(
    (a, b) =>
      (a.operation === b.operation ? 0 : a.operation === 'Apply' ? -1 : 1) ||
      byteOrder(a.time ?? '', b.time ?? '') ||
      byteOrder(a.manager, b.manager) ||
      byteOrder(a.apiVersion, b.apiVersion) ||
      byteOrder(a.subresource ?? '', b.subresource ?? ''),
  );
  return kept.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(m.fields),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

/** Folds the oldest update managers beyond the cap into one `ancient-changes` manager. */
export function capUpdateManagers(managers: Manager[]): Manager[] {
  const updaters = managers.filter((m) => m.operation === 'Update' && m.fields.size > 0);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return managers;
  const byAge = [...updaters].sort((a, b) => byteOrder(a.time ?? '', b.time ?? ''));
  const oldest = new Set(byAge.slice(0, updaters.length - MAX_UPDATE_MANAGERS + 1));
  let fields: FieldSet = new Set();
  let time: string | undefined;
  for (const m of oldest) {
    fields = union(fields, m.fields);
    if (m.time && (!time || m.time > time)) time = m.time;
  }
  const ancient: Manager = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: byAge[0]!.apiVersion, time, fields };
  return [...managers.filter((m) => !oldest.has(m)), ancient];
}

/** Takes `fields` away from every manager but `keep`. */
export function releaseFields(managers: Manager[], fields: FieldSet, keep?: string): void {
  if (fields.size === 0) return;
  for (const m of managers) if (managerId(m) !== keep) m.fields = difference(m.fields, fields);
}
