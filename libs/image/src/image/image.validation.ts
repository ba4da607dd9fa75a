import { type FieldError, fieldErr, VerbatimValue } from '@app/api-machinery';
import { validateImageSignature } from '../imagesignature/imagesignature.validation';
import { parseDockerImageReference, ReferenceError } from '../reference/docker-reference';
import type { Image, ImageLayer } from './image.types';

/** Upstream's imageMediaTypeRegexp: the type part allows no `.` or `+`, the subtype does. */
const mediaTypePattern = /^ *[A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126} *$/;
/** Upstream's manifest digest check (validation.go imageDigestRegexp): unanchored, any algorithm, 32+ hex digits. */
const manifestDigestPattern = /[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}/;

/**
 * The layers as upstream's error prints them: Go's %#v of its internal []image.ImageLayer
 * (`[]image.ImageLayer{image.ImageLayer{Name:"sha256:…", LayerSize:1, MediaType:"…"}}`).
 */
function goLayers(layers: ImageLayer[]): VerbatimValue {
  const items = layers.map(
    (l) => `image.ImageLayer{Name:${JSON.stringify(l?.name ?? '')}, LayerSize:${Number(l?.size ?? 0)}, MediaType:${JSON.stringify(l?.mediaType ?? '')}}`,
  );
  return new VerbatimValue(`[]image.ImageLayer{${items.join(', ')}}`);
}

/** Image rules (openshift validation.go ValidateImage); `prefix` is '' or 'image.' for mappings. */
export function validateImage(image: Image, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  const ref = image.dockerImageReference;
  if (!ref) errors.push(fieldErr.required(`${prefix}dockerImageReference`));
  else {
    try {
      parseDockerImageReference(ref);
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      errors.push(fieldErr.invalid(`${prefix}dockerImageReference`, ref, e.message));
    }
  }
  const signatures = image.signatures ?? [];
  if (!Array.isArray(signatures)) errors.push(fieldErr.invalid(`${prefix}signatures`, signatures, 'must be a list'));
  else signatures.forEach((sig, i) => errors.push(...validateImageSignature(sig ?? {}, `${prefix}signatures[${i}]`)));
  const manifests = image.dockerImageManifests ?? [];
  if (!Array.isArray(manifests)) return [...errors, fieldErr.invalid(`${prefix}dockerImageManifests`, manifests, 'must be a list')];
  manifests.forEach((m, i) => {
    const path = `${prefix}dockerImageManifests[${i}]`;
    if (!manifestDigestPattern.test(m.digest ?? '')) errors.push(fieldErr.invalid(`${path}.digest`, m.digest ?? '', 'digest does not conform with OCI image specification'));
    if (!mediaTypePattern.test(m.mediaType ?? '')) errors.push(fieldErr.invalid(`${path}.mediaType`, m.mediaType ?? '', 'media type does not conform to RFC6838'));
    if (!m.architecture) errors.push(fieldErr.required(`${path}.architecture`));
    if (!m.os) errors.push(fieldErr.required(`${path}.os`));
    // An absent size decodes as 0 upstream; the error names `size`, as upstream's does.
    if ((m.manifestSize ?? 0) < 0) errors.push(fieldErr.invalid(`${path}.size`, m.manifestSize, 'manifest size cannot be negative'));
  });
  if (manifests.length && Array.isArray(image.dockerImageLayers) && image.dockerImageLayers.length) {
    errors.push(fieldErr.invalid(`${prefix}dockerImageLayers`, goLayers(image.dockerImageLayers), 'dockerImageLayers should not be set when dockerImageManifests is set'));
  }
  const layers = image.dockerImageLayers ?? [];
  if (!Array.isArray(layers)) errors.push(fieldErr.invalid(`${prefix}dockerImageLayers`, layers, 'must be a list'));
  return errors;
}
