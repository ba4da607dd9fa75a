import {
  ApiError,
  type ApiObject,
  apiVersionOf,
  type FieldError,
  listShapesOf,
  type ListShapes,
  nowTimestamp,
  type ResourceInfo,
  trackUpdate,
  undecodableManagedFieldsTime,
  validateManagedFields,
  type Writer,
  type WriteOptions,
} from '@app/api-machinery';

/**
 * Field ownership of a write: tracked as an update by `manager` (API requests), or kept as the
 * object carries it (server-side apply computed it already; the server's own writes keep the
 * stored managers).
 */
export type Tracking = { manager: string } | 'as-is';

export const trackingOf = (options: WriteOptions): Tracking => (options.fieldManager !== undefined ? { manager: options.fieldManager } : 'as-is');

export type ManagedMeta = ApiObject['metadata'] & { managedFields?: unknown };

/** The object without its resourceVersion and with every managedFields entry's `time` dropped. */
export function withoutManagedTimes(obj: ApiObject): object {
  const managed = (obj.metadata as ManagedMeta).managedFields;
  const times = Array.isArray(managed) ? managed.map((m) => (m && typeof m === 'object' ? { ...m, time: undefined } : m)) : managed;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined, managedFields: times } };
}

/**
 * Records the write in metadata.managedFields (an update by the tracked manager); returns the
 * validation errors of managedFields the request itself carried.
 */
export function trackWrite<T extends ApiObject>(info: ResourceInfo, obj: T, old: T | null, tracking: Tracking): FieldError[] {
  const meta = obj.metadata as ManagedMeta;
  if (tracking === 'as-is') {
    if (meta.managedFields === undefined || (Array.isArray(meta.managedFields) && meta.managedFields.length === 0)) delete meta.managedFields;
    return [];
  }
  const badTime = undecodableManagedFieldsTime(meta.managedFields);
  if (badTime !== undefined) {
    throw ApiError.badRequest(
      `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: parsing time ${JSON.stringify(badTime)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(badTime)} as "2006"`,
    );
  }
  const errors = validateManagedFields(meta.managedFields);
  if (errors.length) return errors;
  const writer = writerOf(info, tracking.manager);
  const liveEntries = old ? (old.metadata as ManagedMeta).managedFields : undefined;
  const entries = trackUpdate(shapesOf(info), old, liveEntries, obj, meta.managedFields, writer, nowTimestamp());
  if (entries.length) meta.managedFields = entries;
  else delete meta.managedFields;
  return [];
}

/** The kind's list and map shapes as field ownership reads them, for a main or a `/status` store. */
export function shapesOf(info: ResourceInfo): ListShapes {
  return listShapesOf(info.mergeKeys, info.atomicFields, info.resource.endsWith('/status') ? 'status' : 'main', info.emptyObject, info.granularMaps);
}

/** A store serving a subresource (`triggers/status`) records its writers as such, as kube-apiserver does. */
export function writerOf(info: ResourceInfo, manager: string): Writer {
  const subresource = info.resource.split('/')[1];
  return subresource ? { manager, apiVersion: apiVersionOf(info), subresource } : { manager, apiVersion: apiVersionOf(info) };
}
