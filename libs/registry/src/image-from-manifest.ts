import { makeStorable } from '@app/api-machinery';
import { baseImageAnnotationsOf } from './base-image-annotations';
import { assertDigest } from './digest';
import { ImageAnnotations } from './image-annotations';
import { formatApiTime, readImageConfig } from './image-config';
import { ManifestInvalidError, UnsupportedManifestError } from './manifest-errors';
import type { ImageManifestDocument, ManifestListDocument, ParsedManifest } from './manifest.types';
import type { ParsedDockerImageMetadata, ParsedImage, ParsedImageLayer, ParsedImageManifest } from './parsed-image.types';
import { parseManifest } from './parse-manifest';
import { referenceByDigest } from './pull-spec';

export interface ImageFromManifestInput {
  /** Digest the manifest was addressed by / announced with; verified against rawManifest. */
  digest: string;
  rawManifest: Buffer | string;
  /** Content-Type of the manifest response (may be omitted for OCI documents that carry mediaType). */
  mediaType?: string | null;
  /** Config blob; required for single-image manifests, ignored for lists. Verified against the manifest. */
  rawConfig?: Buffer | string;
  /** Where the image was pulled from (`host/ns/name[:tag|@digest]`); the reference becomes `...@digest`. */
  pullSpec: string;
  /** Extra metadata.annotations (e.g. registryPushedImageAnnotations()). */
  annotations?: Record<string, string>;
  /** "Time of processing" used as Created for lists/indexes; defaults to now. */
  now?: Date;
  /**
   * A config blob Go's decoder would refuse (not JSON, a field of the wrong type, a `created` that
   * is not RFC 3339): `throw` (imports fail on it, as openshift's importer does) or `empty-metadata`
   * (what openshift-apiserver stores for a registry push: it logs the error and keeps the image
   * with its layers and media type, but no Id, Created, Config or Size). Default `throw`.
   */
  undecodableConfig?: 'throw' | 'empty-metadata';
}

/**
 * Converts a docker schema2 / OCI manifest (plus its config) or a manifest list / OCI index into an
 * Image, following openshift's ImageWithMetadata: layers base-first, `Id` = config digest (list
 * digest for lists), `Size` = config length + distinct layer sizes. Schema1 and unknown types throw
 * UnsupportedManifestError; inconsistent input throws ManifestInvalidError / DigestMismatchError.
 */
export function imageFromManifest(input: ImageFromManifestInput): ParsedImage {
  assertDigest(input.rawManifest, input.digest, 'manifest');
  const parsed = parseManifest(input.rawManifest, input.mediaType);
  return imageFromParsedManifest(parsed, input);
}

/** Same as imageFromManifest for a manifest the caller already parsed (digest not re-verified). */
export function imageFromParsedManifest(parsed: ParsedManifest, input: ImageFromManifestInput): ParsedImage {
  switch (parsed.kind) {
    case 'image':
      return storable(fromImageManifest(parsed.manifest, parsed.mediaType, input));
    case 'list':
      return storable(fromManifestList(parsed.manifest, parsed.mediaType, input));
    case 'unsupported':
    case 'unknown':
      throw unsupportedManifestError(parsed);
  }
}

/** The error for a manifest kind this project does not convert (schema1, unknown types). */
export function unsupportedManifestError(
  parsed: Extract<ParsedManifest, { kind: 'unsupported' | 'unknown' }>,
): UnsupportedManifestError {
  return parsed.kind === 'unsupported'
    ? new UnsupportedManifestError(
        `${parsed.mediaType}: ${parsed.reason} manifests are not supported`,
        parsed.mediaType,
      )
    : new UnsupportedManifestError(
        `unsupported manifest media type ${JSON.stringify(parsed.mediaType)}`,
        parsed.mediaType,
      );
}

function fromImageManifest(
  manifest: ImageManifestDocument,
  mediaType: string,
  input: ImageFromManifestInput,
): ParsedImage {
  if (input.rawConfig === undefined) throw new ManifestInvalidError(`${mediaType} requires its config blob`);
  assertDigest(input.rawConfig, manifest.config.digest, 'config');
  const layers = layersOfManifest(manifest);
  return {
    ...envelope(input, mediaType, manifest),
    dockerImageMetadata: configMetadata(manifest.config.digest, input.rawConfig, layers, input.undecodableConfig ?? 'throw'),
    dockerImageConfig: Buffer.isBuffer(input.rawConfig) ? input.rawConfig.toString('utf8') : input.rawConfig,
    dockerImageLayers: layers,
  };
}

/**
 * What registry content gives an Image, made storable in Postgres jsonb: a lone UTF-16 surrogate
 * (a JSON `\ud800`) becomes U+FFFD, as Go's decoder reads it, and so does NUL (`\u0000`), which Go
 * keeps but jsonb cannot hold. The registry accepted the content, so nothing is refused for it
 * (the API refuses a NUL sent in a field of its own body instead). Every caller's value here is a
 * few levels deep, far within makeStorable's depth limit.
 */
function storable<T extends object>(value: T): T {
  return makeStorable(value, 'replace') as T;
}

/** An image manifest's layers as the API stores them; the wire order is already base-first ("ascending"). */
export function layersOfManifest(manifest: ImageManifestDocument): ParsedImageLayer[] {
  return storable(manifest.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType })));
}

/**
 * The DockerImage document of a schema2/OCI image (openshift InternalImageWithMetadata): the
 * config's fields, `Id` = the config digest, `Size` = config length + the sizes of the distinct
 * layers (a layer repeated in one image, or equal to the config blob, is stored once). The
 * config is not checked against `configDigest` here; callers that must trust it verify first.
 */
export function imageMetadataFromConfig(
  configDigest: string,
  rawConfig: Buffer | string,
  layers: readonly ParsedImageLayer[],
): ParsedDockerImageMetadata {
  const config = Buffer.isBuffer(rawConfig) ? rawConfig : Buffer.from(rawConfig, 'utf8');
  const seen = new Set<string>([configDigest]);
  let size = config.length;
  for (const layer of layers) {
    if (seen.has(layer.name)) continue;
    seen.add(layer.name);
    size += layer.size;
  }
  return storable({
    kind: 'DockerImage',
    apiVersion: 'image.openshift.io/1.0',
    Id: configDigest,
    ...readImageConfig(config),
    Size: size,
  });
}

function configMetadata(
  configDigest: string,
  rawConfig: Buffer | string,
  layers: readonly ParsedImageLayer[],
  undecodable: 'throw' | 'empty-metadata',
): ParsedDockerImageMetadata {
  try {
    return imageMetadataFromConfig(configDigest, rawConfig, layers);
  } catch (e) {
    if (undecodable === 'throw' || !(e instanceof ManifestInvalidError)) throw e;
    return { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', ContainerConfig: {} };
  }
}

/** The children of a manifest list / OCI index as Image.dockerImageManifests. */
export function manifestsOfList(list: ManifestListDocument): ParsedImageManifest[] {
  return storable(list.manifests.map((m): ParsedImageManifest => {
    const child: ParsedImageManifest = {
      digest: m.digest,
      mediaType: m.mediaType,
      manifestSize: m.size,
      // OCI index entries may lack a platform; upstream then carries empty strings.
      architecture: m.platform?.architecture ?? '',
      os: m.platform?.os ?? '',
    };
    if (m.platform?.variant) child.variant = m.platform.variant;
    return child;
  }));
}

function fromManifestList(
  list: ManifestListDocument,
  mediaType: string,
  input: ImageFromManifestInput,
): ParsedImage {
  const base = envelope(input, mediaType, list);
  // A list has no layers, so it has no layer order: the integrated registry's manifest-list
  // handler reports an empty one, and the Image it creates keeps the annotation with that empty
  // value (nothing upstream fills or drops it for a list). Imports pass no such annotation.
  const annotations: Record<string, string> | undefined = 'annotations' in base.metadata ? base.metadata.annotations : undefined;
  if (annotations && ImageAnnotations.dockerLayersOrder in annotations) annotations[ImageAnnotations.dockerLayersOrder] = '';
  if (input.undecodableConfig === 'empty-metadata') {
    // openshift-apiserver (InternalImageWithMetadata) tells a list from an image by the mediaType
    // the body itself carries, decoded with Go's encoding/json into DockerImageManifest. An OCI
    // index may leave it out (distribution and the integrated registry accept that): upstream then
    // takes the pushed index for a single image with no layers, marks the layer order ascending
    // and fails on the missing config, so the Image keeps no Id and no Created. A mediaType that
    // is not a string fails the decode before anything is filled in.
    const bodyMediaType = goDecodedMediaType(input.rawManifest);
    if (bodyMediaType !== 'list') {
      if (annotations && bodyMediaType === 'absent') annotations[ImageAnnotations.dockerLayersOrder] = 'ascending';
      return {
        ...base,
        dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', ContainerConfig: {} },
        dockerImageManifests: manifestsOfList(list),
      };
    }
  }
  return {
    ...base,
    dockerImageMetadata: {
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: input.digest,
      Created: formatApiTime(input.now ?? new Date()),
      ContainerConfig: {},
    },
    dockerImageManifests: manifestsOfList(list),
  };
}

/**
 * The top-level `mediaType` as Go's decoder reads it into a struct field (keys matched
 * case-insensitively, the last match winning; null leaves it empty): `list` when it names a list
 * type, `absent` when empty, `undecodable` when it is not a string.
 */
function goDecodedMediaType(raw: Buffer | string): 'list' | 'absent' | 'undecodable' {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw);
  } catch {
    return 'undecodable';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'undecodable';
  let value: unknown;
  for (const [key, v] of Object.entries(doc)) if (key.toLowerCase() === 'mediatype') value = v;
  if (value === undefined || value === null || value === '') return 'absent';
  if (typeof value !== 'string') return 'undecodable';
  return value === 'application/vnd.docker.distribution.manifest.list.v2+json' || value === 'application/vnd.oci.image.index.v1+json' ? 'list' : 'absent';
}

function envelope(input: ImageFromManifestInput, mediaType: string, document: { annotations?: Record<string, string> }) {
  const annotations = { ...input.annotations, ...baseImageAnnotationsOf(document) };
  return {
    kind: 'Image' as const,
    apiVersion: 'image.openshift.io/v1' as const,
    metadata: Object.keys(annotations).length ? { name: input.digest, annotations } : { name: input.digest },
    dockerImageReference: referenceByDigest(input.pullSpec, input.digest),
    dockerImageMetadataVersion: '1.0' as const,
    dockerImageManifestMediaType: mediaType,
    dockerImageManifest: Buffer.isBuffer(input.rawManifest)
      ? input.rawManifest.toString('utf8')
      : input.rawManifest,
  };
}

/**
 * OCI makes an index entry's `platform` optional, but an Image's dockerImageManifests need
 * architecture and os (OpenShift validates them): an entry without them takes its child's, from
 * the child's config, so an index the registry accepted is not refused here.
 */
export function fillMissingPlatforms(list: ParsedImage, children: ParsedImage[]): void {
  const byDigest = new Map(children.map((c) => [c.metadata.name, c.dockerImageMetadata]));
  for (const entry of list.dockerImageManifests ?? []) {
    const child = byDigest.get(entry.digest);
    // An entry that names its platform is taken as written, as upstream copies `platform`
    // (a variant the index leaves out stays empty even when the child's config has one).
    if (!child || entry.architecture || entry.os) continue;
    if (child.Architecture) entry.architecture = child.Architecture;
    if (child.Os) entry.os = child.Os;
    if (child.Variant) entry.variant = child.Variant;
  }
}
