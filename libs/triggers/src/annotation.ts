import { type FieldError, fieldErr } from '@app/api-machinery';
import { type AnnotationTrigger, parseStreamTag } from './trigger.types';

/** A parsed container selector of a trigger fieldPath (reference §8.1). */
export interface ParsedFieldPath {
  /** `containers` or `initContainers`. */
  list: 'containers' | 'initContainers';
  selector: { index: number } | { name: string };
}

/** Parses `<podSpecPath>.containers[<sel>].image`; null when it does not match (§8.1 grammar). */
export function parseFieldPath(fieldPath: string, podSpecPath: string): ParsedFieldPath | null {
  if (!fieldPath.startsWith(`${podSpecPath}.`)) return null;
  const rest = fieldPath.slice(podSpecPath.length + 1);
  const m = /^(containers|initContainers)\[(\d+|\?\(@\.name=="([^"]+)"\))\]\.image$/.exec(rest);
  if (!m) return null;
  const list = m[1] as 'containers' | 'initContainers';
  if (m[3] !== undefined) return { list, selector: { name: m[3] } };
  return { list, selector: { index: Number(m[2]) } };
}

/**
 * `paused` as a boolean. The OpenShift console and `oc set triggers` have long written it as the
 * string "true"/"false" (openshift/console#14523), so those are read as the booleans they mean;
 * absent is false; anything else is undefined (invalid).
 */
function pausedOf(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

/** Parses and validates the annotation value; errors name `metadata.annotations[...]`. */
export function parseTriggersAnnotation(
  value: string,
  podSpecPath: string,
  field = 'metadata.annotations[image.openshift.io/triggers]',
): { triggers: AnnotationTrigger[]; errors: FieldError[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { triggers: [], errors: [fieldErr.invalid(field, value, 'must be a JSON array of triggers')] };
  }
  if (!Array.isArray(parsed)) return { triggers: [], errors: [fieldErr.invalid(field, value, 'must be a JSON array of triggers')] };
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const triggers: AnnotationTrigger[] = [];
  parsed.forEach((raw: unknown, i) => {
    const p = `${field}[${i}]`;
    const t = raw as Partial<AnnotationTrigger> | null;
    if (typeof t !== 'object' || t === null) {
      errors.push(fieldErr.invalid(p, raw, 'must be an object'));
      return;
    }
    if (t.from?.kind !== 'ImageStreamTag') errors.push(fieldErr.notSupported(`${p}.from.kind`, t.from?.kind ?? '', ['ImageStreamTag']));
    if (typeof t.from?.name !== 'string' || !parseStreamTag(t.from.name)) {
      errors.push(fieldErr.invalid(`${p}.from.name`, t.from?.name ?? '', 'must be of the form <stream>:<tag>'));
    }
    if (typeof t.fieldPath !== 'string' || !parseFieldPath(t.fieldPath, podSpecPath)) {
      errors.push(
        fieldErr.invalid(`${p}.fieldPath`, t.fieldPath ?? '', `must be ${podSpecPath}.containers[<index>|?(@.name=="<name>")].image (or initContainers)`),
      );
    } else if (seen.has(t.fieldPath)) {
      errors.push(fieldErr.duplicate(`${p}.fieldPath`, t.fieldPath));
    } else seen.add(t.fieldPath);
    const paused = pausedOf(t.paused);
    if (paused === undefined) errors.push(fieldErr.invalid(`${p}.paused`, t.paused, 'must be a boolean'));
    triggers.push({ ...(t as AnnotationTrigger), paused });
  });
  return { triggers: errors.length ? [] : triggers, errors };
}

export interface JsonPatchOp {
  op: 'replace' | 'add' | 'test';
  path: string;
  value: unknown;
}

function getAt(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** The container a parsed selector names in the pod spec's list, with its JSON pointer segments; null when absent. */
function containerAt(obj: unknown, podSpecPath: string, parsed: ParsedFieldPath): { path: string[]; container: { image?: unknown } } | null {
  const base = [...podSpecPath.split('.'), parsed.list];
  const list = getAt(obj, base);
  if (!Array.isArray(list)) return null;
  const index =
    'index' in parsed.selector
      ? parsed.selector.index
      : list.findIndex((c: unknown) => (c as { name?: unknown } | null)?.name === (parsed.selector as { name: string }).name);
  const container = index >= 0 ? (list[index] as unknown) : undefined;
  if (typeof container !== 'object' || container === null) return null;
  return { path: [...base, String(index), 'image'], container };
}

/** The container image at `fieldPath` (null when the container has none, undefined when there is no such container). */
export function imageAt(obj: unknown, podSpecPath: string, fieldPath: string): string | null | undefined {
  const parsed = parseFieldPath(fieldPath, podSpecPath);
  const at = parsed ? containerAt(obj, podSpecPath, parsed) : null;
  if (!at) return undefined;
  return typeof at.container.image === 'string' ? at.container.image : null;
}

/**
 * The JSON patch (RFC 6902) that sets the container image at `fieldPath` to `image`, with a
 * `test` of the old value so a receiver applying it to a changed object fails instead of
 * clobbering; null when the container does not exist or already runs `image`.
 */
export function imagePatch(obj: unknown, podSpecPath: string, fieldPath: string, image: string): JsonPatchOp[] | null {
  const parsed = parseFieldPath(fieldPath, podSpecPath);
  const at = parsed ? containerAt(obj, podSpecPath, parsed) : null;
  if (!at || at.container.image === image) return null;
  return setImageOps(at, image);
}

/**
 * Like imagePatch, but a container that already runs `image` still gets the (idempotent)
 * `replace`: for receivers that apply it to their own copy of the object, which may lag ours.
 */
export function setImagePatch(obj: unknown, podSpecPath: string, fieldPath: string, image: string): JsonPatchOp[] | null {
  const parsed = parseFieldPath(fieldPath, podSpecPath);
  const at = parsed ? containerAt(obj, podSpecPath, parsed) : null;
  return at ? setImageOps(at, image) : null;
}

function setImageOps(at: { path: string[]; container: { image?: unknown } }, image: string): JsonPatchOp[] {
  const path = `/${at.path.join('/')}`;
  const old = at.container.image;
  const ops: JsonPatchOp[] = [];
  if (typeof old === 'string' && old !== image) ops.push({ op: 'test', path, value: old });
  ops.push({ op: old === undefined ? 'add' : 'replace', path, value: image });
  return ops;
}
