import { encodePath, type FieldSet } from './field-set';
import { fieldValues } from './field-values';
import type { ListShapes } from './list-shapes';
import type { Manager } from './managed-fields';
import { REDACTED_VALUE } from '../redaction';

/** The annotation client-side `kubectl apply` keeps its last configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The field manager `kubectl apply --server-side` uses (kubectl's default). */
export const KUBECTL_APPLY_MANAGER = 'kubectl';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function sortedKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys(v[k]!)]));
  return v;
}

/**
 * The annotation's value for an apply configuration, as kube-apiserver writes it when kubectl
 * applies server-side to an object that has one (lastAppliedUpdater): the configuration without
 * the annotation itself, encoded as Go's encoding/json does (sorted keys, HTML-escaped, newline),
 * so a later client-side `kubectl apply` diffs against what was really applied last.
 */
export function lastAppliedValue(config: Record<string, unknown>): string {
  const metadata = { ...((config['metadata'] ?? {}) as Record<string, unknown>) };
  const annotations = { ...((metadata['annotations'] ?? {}) as Record<string, unknown>) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  if (Object.keys(annotations).length) metadata['annotations'] = annotations;
  else delete metadata['annotations'];
  const json = JSON.stringify(sortedKeys({ ...config, metadata } as Json));
  return `${json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')}\n`;
}

const ANNOTATION_PATH = encodePath(['f:metadata', 'f:annotations', `f:${LAST_APPLIED_ANNOTATION}`]);
const REDACTED_JSON = JSON.stringify(REDACTED_VALUE);

/**
 * The fields of the object's last-applied annotation that still hold the value it records
 * (structured-merge-diff's allowedConflictsFromLastApplied): client-side apply set them, so
 * `kubectl apply --server-side` may take them from other managers without a conflict. Empty when
 * there is no readable annotation. A kind that stores the annotation with secret values redacted
 * (TriggerSecret) cannot compare them: such a field counts as still applied while a manager that
 * wrote the annotation still owns it, since any write changing its value takes it from that manager.
 */
export function fieldsStillAsLastApplied(live: Record<string, unknown>, liveValues: Map<string, string>, shapes: ListShapes, managers: readonly Manager[] = []): FieldSet {
  const annotations = (live['metadata'] as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  const text = annotations?.[LAST_APPLIED_ANNOTATION];
  const out: FieldSet = new Set();
  if (typeof text !== 'string' || text === '') return out;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return out;
  }
  const appliers = managers.filter((m) => m.fields.has(ANNOTATION_PATH));
  for (const [path, value] of fieldValues(lastApplied, shapes)) {
    if (liveValues.get(path) === value) out.add(path);
    else if (value === REDACTED_JSON && liveValues.has(path) && appliers.some((m) => m.fields.has(path))) out.add(path);
  }
  return out;
}
