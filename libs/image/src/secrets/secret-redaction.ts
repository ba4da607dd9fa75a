import { LAST_APPLIED_ANNOTATION, REDACTED_VALUE } from '@app/api-machinery';
import type { Secret } from './secret.types';

/**
 * How many data keys a redacted Secret had (the DATA column of `kubectl get secrets`). A symbol
 * property: it survives object spreads on the way to the Table printer and is never serialised.
 */
export const SECRET_DATA_COUNT = Symbol.for('imagestreamd.secretDataCount');

type Counted = Secret & { [SECRET_DATA_COUNT]?: number };

/** The number of data keys of a served Secret, redacted or not. */
export function secretDataCount(obj: object): number {
  const counted = (obj as Counted)[SECRET_DATA_COUNT];
  if (typeof counted === 'number') return counted;
  const data = (obj as Secret).data;
  return data && typeof data === 'object' ? Object.keys(data).length : 0;
}

/**
 * kubectl's client-side apply copies the whole manifest, values included, into the last-applied
 * annotation: redacted objects keep its key names with every value replaced.
 */
function redactedAnnotations(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  const raw = annotations?.[LAST_APPLIED_ANNOTATION];
  if (!annotations || raw === undefined) return annotations;
  let applied: unknown;
  try {
    applied = JSON.parse(raw);
  } catch {
    return { ...annotations, [LAST_APPLIED_ANNOTATION]: REDACTED_VALUE };
  }
  if (typeof applied !== 'object' || applied === null || Array.isArray(applied)) return { ...annotations, [LAST_APPLIED_ANNOTATION]: REDACTED_VALUE };
  const out: Record<string, unknown> = { ...applied };
  for (const field of ['data', 'stringData']) {
    const values = out[field];
    if (values && typeof values === 'object') out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED_VALUE]));
    else if (values !== undefined) out[field] = REDACTED_VALUE;
  }
  return { ...annotations, [LAST_APPLIED_ANNOTATION]: JSON.stringify(out) };
}

/**
 * A Secret as lists, watches, Tables and deletecollection answer it (a project rule: secret
 * values never appear in list answers): without `data` or `stringData`, the last-applied
 * annotation's values replaced. A GET of the one Secret still returns its data, as kube does.
 */
export function redactSecret<T extends object>(obj: T): T {
  const secret = obj as unknown as Counted;
  if (!secret.metadata || (secret as { kind?: unknown }).kind === 'Status') return obj;
  const count = secretDataCount(secret);
  const { data: _data, stringData: _stringData, ...rest } = secret;
  const out: Counted = { ...rest, metadata: { ...secret.metadata } };
  const annotations = redactedAnnotations(secret.metadata.annotations);
  if (annotations) out.metadata.annotations = annotations;
  out[SECRET_DATA_COUNT] = count;
  return out as unknown as T;
}

/**
 * What the change log keeps of a Secret (every watch event and past-version list is built from
 * it): the data keys with empty values, so no value is ever written there, and the count of keys
 * survives for watch Tables. Served only through redactSecret.
 */
export function loggedSecret(secret: Secret): object {
  const logged = redactSecret<Secret>(secret);
  if (secret.data && typeof secret.data === 'object') logged.data = Object.fromEntries(Object.keys(secret.data).map((k) => [k, '']));
  return logged;
}
