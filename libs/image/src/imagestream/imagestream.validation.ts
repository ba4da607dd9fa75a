import { type FieldError, fieldErr, validatePathSegmentName } from '@app/api-machinery';
import { parseDockerImageReference, ReferenceError } from '../reference/docker-reference';
import { type RegistryCheck, repositoryRefusals, tagReferenceRefusals } from '../allowed-registries/allowed-registries.validation';
import type { ImageStream, TagReference } from './imagestream.types';

const streamNamePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const fromKinds = ['DockerImage', 'ImageStreamImage', 'ImageStreamTag'];
const importModes = ['', 'Legacy', 'PreserveOriginal'];

/**
 * openshift ValidateImageStreamName as ValidateObjectMeta runs it: path-segment problems first,
 * and then only those, else the repository-name pattern (a generateName prefix too, as upstream).
 */
export function validateImageStreamNameOnly(name: string, field = 'metadata.name', prefix = false): FieldError[] {
  const pathSegment = validatePathSegmentName(name, field, prefix);
  if (pathSegment.length) return pathSegment;
  return streamNamePattern.test(name) ? [] : [fieldErr.invalid(field, name, `must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"`)];
}

export function validateImageStreamName(namespace: string, name: string): FieldError[] {
  // As upstream's ValidateImageStreamName: path-segment problems first, and then only those.
  const pathSegment = validatePathSegmentName(name);
  if (pathSegment.length) return pathSegment;
  const errors: FieldError[] = [];
  if (!streamNamePattern.test(name)) {
    errors.push(fieldErr.invalid('metadata.name', name, `must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"`));
  }
  if (`${namespace}/${name}`.length > 255) {
    errors.push(fieldErr.invalid('metadata.name', name, "'namespace/name' cannot be longer than 255 characters"));
  }
  return errors;
}

/**
 * Rules for one spec tag; `path` is e.g. `spec.tags[latest]` or `tag`. `registries`: the
 * allowed-registries list, when one is configured.
 */
export function validateTagReference(tag: TagReference, path: string, registries?: RegistryCheck): FieldError[] {
  const errors: FieldError[] = [];
  if (tag.from) {
    const from = tag.from;
    if (!from.name) errors.push(fieldErr.required(`${path}.from.name`));
    if (!from.kind || !fromKinds.includes(from.kind)) {
      errors.push(fieldErr.required(`${path}.from.kind`, "valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'"));
    } else if (from.kind === 'DockerImage' && from.name) {
      try {
        parseDockerImageReference(from.name);
      } catch (e) {
        if (e instanceof ReferenceError) errors.push(fieldErr.invalid(`${path}.from.name`, from.name, e.message));
        else throw e;
      }
    } else if (from.kind !== 'DockerImage') {
      // The name's form is the stream strategy's check (tagSourceFormErrors), not validation's.
      // Whatever the name: upstream checks the kind's schedule apart from the name's presence.
      if (tag.importPolicy?.scheduled) {
        errors.push(
          fieldErr.invalid(`${path}.importPolicy.scheduled`, true, 'only tags pointing to Docker repositories may be scheduled for background import'),
        );
      }
    }
    if (registries) errors.push(...tagReferenceRefusals(registries, tag, path));
  }
  const refType = tag.referencePolicy?.type ?? '';
  if (refType !== 'Source' && refType !== 'Local') {
    errors.push(fieldErr.invalid(`${path}.referencePolicy.type`, refType, 'valid values are "Source", "Local"'));
  }
  const mode = tag.importPolicy?.importMode ?? '';
  if (!importModes.includes(mode)) {
    errors.push(
      fieldErr.invalid(`${path}.importPolicy.importMode`, mode, "invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'"),
    );
  }
  return errors;
}

/**
 * Longest tag name kept. Upstream sets no limit (etcd does not index tags); here tag names are
 * index keys, and a registry tag is at most 128 characters, so 255 leaves room and stays well
 * inside what an index entry can hold.
 */
export const MAX_TAG_NAME_BYTES = 255;

/** A tag name longer than MAX_TAG_NAME_BYTES (UTF-8), as a field error at `path`. */
export function tagNameTooLong(name: string, path: string): FieldError[] {
  return Buffer.byteLength(name) > MAX_TAG_NAME_BYTES ? [fieldErr.tooLong(path, MAX_TAG_NAME_BYTES)] : [];
}

function validateShape(stream: ImageStream): FieldError[] {
  const spec = stream.spec as unknown;
  if (spec === undefined || spec === null) return [];
  if (typeof spec !== 'object' || Array.isArray(spec)) return [fieldErr.invalid('spec', spec, 'must be an object')];
  const tags = (spec as { tags?: unknown }).tags;
  if (tags !== undefined && tags !== null && !Array.isArray(tags)) return [fieldErr.invalid('spec.tags', tags, 'must be a list')];
  const errors: FieldError[] = [];
  (Array.isArray(tags) ? tags : []).forEach((t: unknown, i) => {
    if (typeof t !== 'object' || t === null) errors.push(fieldErr.invalid(`spec.tags[${i}]`, t, 'must be an object'));
    else if (typeof (t as { name?: unknown }).name !== 'string' || (t as { name: string }).name === '') {
      errors.push(fieldErr.required(`spec.tags[${i}].name`));
    } else errors.push(...tagNameTooLong((t as { name: string }).name, `spec.tags[${i}].name`));
  });
  return errors;
}

/** `registries`: the allowed-registries list, when one is configured (an update passes the old spec's repositories as exempt). */
export function validateImageStream(stream: ImageStream, registries?: RegistryCheck): FieldError[] {
  const shape = validateShape(stream);
  if (shape.length) return shape;
  // An empty or path-unsafe name is already reported by the generic metadata validation (one cause each).
  const name = stream.metadata.name ?? '';
  const errors = name !== '' && validatePathSegmentName(name).length === 0 ? validateImageStreamName(stream.metadata.namespace ?? '', name) : [];
  const repo = stream.spec.dockerImageRepository;
  if (repo) {
    try {
      const ref = parseDockerImageReference(repo);
      if (ref.tag) errors.push(fieldErr.invalid('spec.dockerImageRepository', repo, 'the repository name may not contain a tag'));
      if (ref.id) errors.push(fieldErr.invalid('spec.dockerImageRepository', repo, 'the repository name may not contain an ID'));
    } catch (e) {
      if (e instanceof ReferenceError) errors.push(fieldErr.invalid('spec.dockerImageRepository', repo, e.message));
      else throw e;
    }
    if (registries) errors.push(...repositoryRefusals(registries, repo));
  }
  for (const tag of stream.spec.tags ?? []) errors.push(...validateTagReference(tag, `spec.tags[${tag.name}]`, registries));
  return errors;
}
