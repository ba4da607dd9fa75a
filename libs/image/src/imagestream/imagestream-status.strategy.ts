import { type FieldError, fieldErr, validateAnnotations, validateFinalizers, validateLabels, validateOwnerReferences } from '@app/api-machinery';
import { parseDockerImageReference, ReferenceError } from '../reference/docker-reference';
import type { ImageStream, NamedTagEventList } from './imagestream.types';
import { tagNameTooLong } from './imagestream.validation';

/**
 * The row a `/status` write stores (openshift-apiserver imagestream StatusStrategy.PrepareForUpdate
 * after the generic registry's BeforeUpdate): the request's metadata (labels, annotations, owner
 * references, finalizers) and spec.lookupPolicy apply; spec.tags and spec.dockerImageRepository
 * stay as stored, as do uid, creationTimestamp, generateName, the deletion fields and generation
 * (a status write never bumps it). Status is not part of the row: tag history has its own table.
 */
export function prepareStatusWrite(request: ImageStream, old: ImageStream): ImageStream {
  const { status: _decorated, ...rest } = old;
  const requested = request.metadata;
  const metadata: ImageStream['metadata'] = {
    ...requested,
    name: old.metadata.name,
    namespace: old.metadata.namespace,
    uid: old.metadata.uid,
    creationTimestamp: old.metadata.creationTimestamp,
    generation: old.metadata.generation,
    generateName: requested.generateName ?? old.metadata.generateName,
    deletionTimestamp: old.metadata.deletionTimestamp,
    deletionGracePeriodSeconds: old.metadata.deletionGracePeriodSeconds,
  };
  for (const key of ['generateName', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
    if (metadata[key] === undefined) delete metadata[key];
  }
  const lookupPolicy = typeof request.spec === 'object' && request.spec !== null ? request.spec.lookupPolicy : undefined;
  return { ...rest, metadata, spec: { ...old.spec, lookupPolicy: { local: lookupPolicy?.local === true } } };
}

/**
 * openshift-apiserver ValidateImageStreamStatusUpdateWithWhitelister: ObjectMeta update rules
 * (labels, annotations, owner references, finalizers; none added while the stream is being
 * deleted) and every status item reference the stream did not already hold parses (an empty one
 * too: `repository name must have at least one component`). Here an item also needs `created`,
 * which upstream would store as a zero time: the history table keeps a real one.
 */
export function validateStatusWrite(next: ImageStream, old: ImageStream, tags: NamedTagEventList[], current: NamedTagEventList[]): FieldError[] {
  const m = next.metadata;
  const errors: FieldError[] = [
    ...validateLabels(m.labels),
    ...validateAnnotations(m.annotations),
    ...validateOwnerReferences((m as Record<string, unknown>)['ownerReferences']),
    ...validateFinalizers(m.finalizers),
  ];
  if (old.metadata.deletionTimestamp) {
    const before = new Set(old.metadata.finalizers ?? []);
    const added = (m.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length) {
      errors.push(fieldErr.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
    }
  }
  return [...errors, ...validateStatusTags(tags, current)];
}

export function validateStatusTags(tags: NamedTagEventList[], current: NamedTagEventList[]): FieldError[] {
  const held = new Set(current.flatMap((t) => (t.items ?? []).map((item) => item.dockerImageReference)));
  const errors: FieldError[] = [];
  tags.forEach((t) => {
    if (!t.tag) errors.push(fieldErr.required('status.tags.tag'));
    else errors.push(...tagNameTooLong(t.tag, 'status.tags.tag'));
    (t.items ?? []).forEach((item, i) => {
      if (!item.created) errors.push(fieldErr.required(`status.tags[${t.tag}].items[${i}].created`));
      const reference = item.dockerImageReference ?? '';
      if (held.has(reference)) return;
      try {
        parseDockerImageReference(reference);
      } catch (e) {
        if (!(e instanceof ReferenceError)) throw e;
        errors.push(fieldErr.invalid(`status.tags[${t.tag}].items[${i}].dockerImageReference`, reference, e.message));
      }
    });
  });
  return errors;
}
