import { fieldErr, jsonEqual, type ObjectMeta, validateEmbeddedObjectMeta, type FieldError } from '@app/api-machinery';

/**
 * Object metadata rules for a virtual object: apimachinery's ValidateObjectMeta with path-segment
 * names, as ValidateImageStreamTag* and ValidateImageTag* call it (generateName, name, namespace,
 * generation, labels, annotations, owner references and finalizers).
 */
export function validateViewMeta(meta: ObjectMeta): FieldError[] {
  return validateEmbeddedObjectMeta(meta, 'metadata', true);
}

/**
 * A view update's metadata rules: ValidateObjectMeta, then what ValidateObjectMetaUpdate adds that
 * the update path does not already settle (rest.BeforeUpdate keeps generation, creation and deletion
 * fields; a name or namespace unlike the URL's is 400 before): a uid other than the stream's is
 * `metadata.uid: Invalid value: "<uid>": field is immutable`. The views' REST Update does not read
 * the uid as a precondition (a stored kind's update answers 409 for it).
 */
export function validateViewMetaUpdate(next: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errors = validateViewMeta(next);
  if (next.uid && next.uid !== old.uid) errors.push(fieldErr.invalid('metadata.uid', next.uid, 'field is immutable'));
  return errors;
}

/**
 * The stream's whole metadata under a view's name, managedFields included (openshift-apiserver
 * newITag: `ObjectMeta: imageStream.ObjectMeta`, then the name).
 */
export function viewMetaOf(stream: ObjectMeta, name: string): ObjectMeta {
  return { ...structuredClone(stream), name };
}

/**
 * What the generic update path does to request metadata before comparing it with the stored
 * object (apiserver rest.BeforeUpdate): generation and creationTimestamp cannot change, a
 * missing uid or resourceVersion means "the current one"; managedFields are not served.
 */
export function normalizeUpdateMeta(next: ObjectMeta, old: ObjectMeta): ObjectMeta {
  const out: ObjectMeta & { managedFields?: unknown } = { ...next };
  delete out.managedFields;
  if (old.generation !== undefined) out.generation = old.generation;
  else delete out.generation;
  if (old.creationTimestamp) out.creationTimestamp = old.creationTimestamp;
  if (!out.uid) out.uid = old.uid;
  if (!out.resourceVersion) out.resourceVersion = old.resourceVersion;
  return out;
}

/** Semantic map equality: an empty map equals an absent one (apimachinery Semantic.DeepEqual). */
export function sameMap(a: Record<string, string> | null | undefined, b: Record<string, string> | null | undefined): boolean {
  const norm = (m: Record<string, string> | null | undefined) => (m && Object.keys(m).length ? m : undefined);
  return jsonEqual(norm(a), norm(b));
}

/**
 * Metadata equality ignoring the given keys and treating empty maps as absent. managedFields are
 * never compared: a view shows the stream's (ImageTag), but ownership is the field manager's to
 * record, not a request's to change (normalizeUpdateMeta drops what a request sends).
 */
export function sameMeta(a: ObjectMeta, b: ObjectMeta, ignore: (keyof ObjectMeta)[] = []): boolean {
  const strip = (m: ObjectMeta) => {
    const out: Record<string, unknown> = { ...m };
    delete out['managedFields'];
    for (const k of ignore) delete out[k];
    for (const k of ['labels', 'annotations'] as const) {
      const v = out[k] as Record<string, string> | undefined;
      if (!v || !Object.keys(v).length) delete out[k];
    }
    return out;
  };
  return jsonEqual(strip(a), strip(b));
}
