import {
  type FieldError,
  fieldErr,
  isJsonObject,
  validateAnnotations,
  validateFinalizers,
  validateLabels,
  validateNamespaceName,
  validateOwnerReferences,
} from '@app/api-machinery';
import { validateImageStreamNameOnly } from '../imagestream/imagestream.validation';
import { parseDockerImageReference, ReferenceError } from '../reference/docker-reference';
import type { ImageStreamImport } from './imagestreamimport.types';

const importModes = ['', 'Legacy', 'PreserveOriginal'];

/**
 * Wire defaults (openshift image/v1 defaults.go): `to` from the tag of `from.name` when absent,
 * importMode from the server default, referencePolicy Source. Runs before validation, as upstream.
 */
export function defaultImageStreamImport(isi: ImageStreamImport, defaultImportMode = 'Legacy'): void {
  // spec is no pointer upstream: a missing or null spec decodes as the empty one.
  if (isi.spec === undefined || isi.spec === null) isi.spec = { import: false };
  if (!isJsonObject(isi.spec)) return;
  isi.spec.import = isi.spec.import === true;
  const policies = (p: { importPolicy?: unknown; referencePolicy?: unknown }) => {
    p.importPolicy = isJsonObject(p.importPolicy) ? { ...p.importPolicy } : {};
    const ip = p.importPolicy as { importMode?: string; insecure?: unknown; scheduled?: unknown };
    if (!ip.importMode) ip.importMode = defaultImportMode;
    // omitempty booleans upstream: false is not echoed back.
    if (ip.insecure === false) delete ip.insecure;
    if (ip.scheduled === false) delete ip.scheduled;
    const entry = p as { includeManifest?: unknown };
    if (entry.includeManifest === false) delete entry.includeManifest;
    const rp = isJsonObject(p.referencePolicy) ? (p.referencePolicy as { type?: string }) : {};
    p.referencePolicy = { type: rp.type || 'Source' };
  };
  if (Array.isArray(isi.spec.images)) {
    for (const image of isi.spec.images as unknown[]) {
      if (!isJsonObject(image)) continue;
      policies(image);
      const from = image['from'];
      if (image['to'] === undefined || image['to'] === null) {
        const name = isJsonObject(from) && typeof from['name'] === 'string' ? from['name'] : '';
        try {
          const tag = name ? parseDockerImageReference(name).tag : '';
          if (tag) image['to'] = { name: tag };
        } catch (e) {
          if (!(e instanceof ReferenceError)) throw e;
        }
      }
    }
  }
  if (isJsonObject(isi.spec.repository)) policies(isi.spec.repository);
  // `images` is omitempty upstream: an empty list is not echoed back (nor a null one).
  if (isi.spec.images === null || (Array.isArray(isi.spec.images) && isi.spec.images.length === 0)) delete isi.spec.images;
}

function parseError(name: string): string | null {
  try {
    parseDockerImageReference(name);
    return null;
  } catch (e) {
    if (e instanceof ReferenceError) return e.message;
    throw e;
  }
}

function validatePolicies(p: Record<string, unknown>, path: string): FieldError[] {
  const mode = isJsonObject(p['importPolicy']) ? (p['importPolicy']['importMode'] ?? '') : '';
  if (typeof mode === 'string' && importModes.includes(mode)) return [];
  return [fieldErr.invalid(`${path}.importPolicy.importMode`, mode, "invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'")];
}

/**
 * openshift validation.go ValidateImageStreamImport, plus a bound on spec.images (every entry may
 * cost several registry round trips). Field paths and messages follow upstream.
 */
export function validateImageStreamImport(namespace: string, isi: ImageStreamImport, maxImages: number): FieldError[] {
  const errors: FieldError[] = [];
  const spec: unknown = isi.spec;
  if (!isJsonObject(spec)) {
    errors.push(fieldErr.required('spec'));
  } else {
    const images = spec['images'];
    if (images !== undefined && images !== null && !Array.isArray(images)) {
      errors.push(fieldErr.invalid('spec.images', images, 'must be a list'));
    }
    const list: unknown[] = Array.isArray(images) ? images : [];
    if (list.length > maxImages) {
      errors.push(fieldErr.tooMany('spec.images', list.length, maxImages));
    }
    list.forEach((image, i) => {
      const path = `spec.images[${i}]`;
      if (!isJsonObject(image)) {
        errors.push(fieldErr.invalid(path, image, 'must be an object'));
        return;
      }
      const from = isJsonObject(image['from']) ? image['from'] : {};
      if (from['kind'] !== 'DockerImage') {
        errors.push(fieldErr.invalid(`${path}.from.kind`, from['kind'] ?? '', 'only DockerImage is supported'));
        errors.push(...validatePolicies(image, path));
        return;
      }
      const to = image['to'];
      if (to !== undefined && to !== null && !(isJsonObject(to) && typeof to['name'] === 'string' && to['name'] !== '')) {
        errors.push(fieldErr.invalid(`${path}.to.name`, isJsonObject(to) ? (to['name'] ?? '') : '', 'the name of the target tag must be specified'));
      }
      const name = typeof from['name'] === 'string' ? from['name'] : '';
      if (!name) errors.push(fieldErr.required(`${path}.from.name`));
      // `*` is the legacy "look up the stream" name upstream still tolerates: it skips the rest of
      // the entry's checks, its import policy included.
      else if (name === '*') return;
      else {
        // A scheduled digest is accepted, as upstream: the scheduler imports it until the first success.
        const why = parseError(name);
        if (why) errors.push(fieldErr.invalid(`${path}.from.name`, name, why));
      }
      errors.push(...validatePolicies(image, path));
    });
    const repo = spec['repository'];
    if (repo !== undefined && repo !== null) {
      const path = 'spec.repository';
      const from = isJsonObject(repo) && isJsonObject(repo['from']) ? repo['from'] : {};
      if (from['kind'] !== 'DockerImage') {
        errors.push(fieldErr.invalid(`${path}.from.kind`, from['kind'] ?? '', 'only DockerImage is supported'));
      } else {
        const name = typeof from['name'] === 'string' ? from['name'] : '';
        if (!name) errors.push(fieldErr.required(`${path}.from.name`, 'container image references require a name'));
        else {
          const why = parseError(name);
          if (why) errors.push(fieldErr.invalid(`${path}.from.name`, name, why));
          else {
            const ref = parseDockerImageReference(name);
            if (ref.tag || ref.id) errors.push(fieldErr.invalid(`${path}.from.name`, name, 'you must specify an image repository, not a tag or ID'));
          }
        }
      }
      // Whatever the kind, as upstream.
      if (isJsonObject(repo)) errors.push(...validatePolicies(repo, path));
    }
    if (list.length === 0 && (repo === undefined || repo === null)) {
      // The reference notes quote this value as "null" (quoted); they are what we build to.
      errors.push(fieldErr.invalid('spec.images', 'null', 'you must specify at least one image or a repository import'));
    }
  }
  // ValidateObjectMeta(isi.ObjectMeta, true, ValidateImageStreamName): no 'namespace/name' length
  // here (that is the stream's own rule, met when an import writes it).
  const meta = isi.metadata;
  if (typeof meta.generateName === 'string' && meta.generateName !== '') {
    errors.push(...validateImageStreamNameOnly(meta.generateName, 'metadata.generateName', true));
  }
  const name = meta.name ?? '';
  if (!name) errors.push(fieldErr.required('metadata.name', 'name or generateName is required'));
  else errors.push(...validateImageStreamNameOnly(name));
  if (!namespace) errors.push(fieldErr.required('metadata.namespace'));
  else errors.push(...validateNamespaceName(namespace));
  errors.push(...validateLabels(meta.labels), ...validateAnnotations(meta.annotations));
  errors.push(...validateOwnerReferences((meta as Record<string, unknown>)['ownerReferences']), ...validateFinalizers(meta.finalizers));
  return errors;
}
