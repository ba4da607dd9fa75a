import { ApiError, isJsonObject, makeStorable } from '@app/api-machinery';
import { isDigest } from '@app/registry';

/**
 * The registry notification envelope (distribution 2.8: `{"events":[...]}`, one event per POST in
 * practice, always parsed as a list) and the receiver's classification of each event.
 */

/** Event kinds the service acts on; each is stored in the inbox before the 2xx. */
export type StoredKind = 'manifest-push' | 'manifest-delete' | 'tag-delete';

export interface StoredEvent {
  id: string;
  kind: StoredKind;
  repository: string;
  tag?: string;
  digest?: string;
  mediaType?: string;
  /** The registry's timestamp as sent (RFC 3339, nanoseconds). */
  timestamp: string;
  /** The same instant in nanoseconds since the epoch: exact ordering of registry time. */
  eventNs: bigint;
  /** `source.instanceID`: the registry process (its clock) that produced the event. */
  sourceInstance: string;
  /** The event as received. */
  raw: Record<string, unknown>;
}

/** Pull, blob and unknown events: counted in metrics only. */
export interface CountedEvent {
  action: string;
  target: 'manifest' | 'blob' | 'tag' | 'unknown';
}

export type ClassifiedEvent = { stored: StoredEvent } | { counted: CountedEvent };

/** A malformed envelope; `field` is the path of the first problem (`events[0].timestamp`). */
export class EnvelopeError extends Error {
  constructor(
    readonly field: string,
    why: string,
  ) {
    super(`${field}: ${why}`);
    this.name = 'EnvelopeError';
  }
}

export const BLOB_MEDIA_TYPE = 'application/octet-stream';
const knownActions = new Set(['push', 'pull', 'mount', 'delete']);
const TAG = /^[\w][\w.-]{0,127}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 → nanoseconds since the epoch, or null when it is not a valid RFC 3339 time. */
export function rfc3339ToNanos(value: string): bigint | null {
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  // Date.UTC rolls over out-of-range fields (Feb 30 → Mar 2); reject those instead.
  if (
    Number.isNaN(ms) ||
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return null;
  }
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone![0] === '-' ? -1 : 1;
    offsetMinutes = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  const seconds = BigInt(ms / 1000) - BigInt(offsetMinutes * 60);
  return seconds * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
}

function optionalString(obj: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new EnvelopeError(`${path}.${key}`, 'must be a string');
  return v;
}

function requiredString(obj: Record<string, unknown>, key: string, path: string): string {
  const v = optionalString(obj, key, path);
  if (v === undefined) throw new EnvelopeError(`${path}.${key}`, 'required');
  return v;
}

/** Classifies one event; throws EnvelopeError when an event the service must store is malformed. */
export function classifyEvent(event: unknown, path: string): ClassifiedEvent {
  if (!isJsonObject(event)) throw new EnvelopeError(path, 'must be an object');
  const id = requiredString(event, 'id', path);
  const action = requiredString(event, 'action', path);
  const target = event['target'];
  if (!isJsonObject(target)) throw new EnvelopeError(`${path}.target`, 'must be an object');
  const tpath = `${path}.target`;
  const mediaType = optionalString(target, 'mediaType', tpath);
  const tag = optionalString(target, 'tag', tpath);
  const digest = optionalString(target, 'digest', tpath);

  if (!knownActions.has(action)) return { counted: { action: 'other', target: 'unknown' } };
  if (action === 'pull') return { counted: { action, target: mediaType === BLOB_MEDIA_TYPE ? 'blob' : 'manifest' } };
  if (action === 'mount') return { counted: { action, target: 'blob' } };
  if (action === 'push' && mediaType === BLOB_MEDIA_TYPE) return { counted: { action, target: 'blob' } };

  // A manifest push, a manifest (or blob: they look the same) delete, or a tag delete: stored.
  let kind: StoredKind;
  if (action === 'push') kind = 'manifest-push';
  else if (tag !== undefined) kind = 'tag-delete';
  else kind = 'manifest-delete';

  const repository = requiredString(target, 'repository', tpath);
  if (repository.length > 255) throw new EnvelopeError(`${tpath}.repository`, 'must be at most 255 characters');
  if (tag !== undefined && !TAG.test(tag)) throw new EnvelopeError(`${tpath}.tag`, 'must be a valid tag');
  if (kind !== 'tag-delete') {
    if (digest === undefined) throw new EnvelopeError(`${tpath}.digest`, 'required');
    if (!isDigest(digest)) throw new EnvelopeError(`${tpath}.digest`, 'must be a digest such as sha256:<64 hex>');
  }
  const timestamp = requiredString(event, 'timestamp', path);
  const eventNs = rfc3339ToNanos(timestamp);
  if (eventNs === null) throw new EnvelopeError(`${path}.timestamp`, 'must be an RFC 3339 time');
  const source = event['source'];
  const sourceInstance = isJsonObject(source) && typeof source['instanceID'] === 'string' ? source['instanceID'] : '';
  return {
    stored: {
      id,
      kind,
      repository,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined && kind !== 'tag-delete' ? { digest } : {}),
      ...(mediaType !== undefined ? { mediaType } : {}),
      timestamp,
      eventNs,
      sourceInstance,
      raw: event,
    },
  };
}

/** Parses and classifies a whole envelope, every event in order (a repeated id too: the receiver counts it). */
export function parseEnvelope(body: Buffer | string): ClassifiedEvent[] {
  let parsed: unknown;
  try {
    // NUL becomes U+FFFD rather than a refusal: the registry would resend a refused envelope forever.
    parsed = makeStorable(JSON.parse(typeof body === 'string' ? body : body.toString('utf8')), 'replace');
  } catch (e) {
    if (e instanceof ApiError) throw new EnvelopeError('body', e.message);
    throw new EnvelopeError('body', `not valid JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new EnvelopeError('body', 'must be an object with an "events" list');
  const events = parsed['events'];
  if (!Array.isArray(events)) throw new EnvelopeError('events', 'must be a list');
  return events.map((e, i) => classifyEvent(e, `events[${i}]`));
}
