import { assertDigest } from './digest';
import { formatApiTime, readImageConfig } from './image-config';
import { ManifestInvalidError, UnsupportedManifestError } from './manifest-errors';
import type { ImageManifestDocument, ManifestListDocument, ParsedManifest } from './manifest.types';
import type { ParsedDockerImageMetadata, ParsedImage, ParsedImageManifest } from './parsed-image.types';
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
      return fromImageManifest(parsed.manifest, parsed.mediaType, input);
    case 'list':
      return fromManifestList(parsed.manifest, parsed.mediaType, input);
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
  const rawConfig = Buffer.isBuffer(input.rawConfig) ? input.rawConfig : Buffer.from(input.rawConfig, 'utf8');

  const seen = new Set<string>();
  let size = rawConfig.length;
  for (const layer of manifest.layers) {
    if (seen.has(layer.digest)) continue; // a layer repeated in one image is stored (and counted) once
    seen.add(layer.digest);
    size += layer.size;
  }
  const metadata: ParsedDockerImageMetadata = {
    kind: 'DockerImage',
    apiVersion: 'image.openshift.io/1.0',
    Id: manifest.config.digest,
    ...readImageConfig(rawConfig),
    Size: size,
  };
  return {
    ...envelope(input, mediaType),
    dockerImageMetadata: metadata,
    dockerImageConfig: rawConfig.toString('utf8'),
    // Wire order is already base-first, which is the "ascending" order the API stores.
    dockerImageLayers: manifest.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType })),
  };
}

function fromManifestList(
  list: ManifestListDocument,
  mediaType: string,
  input: ImageFromManifestInput,
): ParsedImage {
  const manifests = list.manifests.map((m): ParsedImageManifest => {
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
  });
  return {
    ...envelope(input, mediaType),
    dockerImageMetadata: {
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: input.digest,
      Created: formatApiTime(input.now ?? new Date()),
      ContainerConfig: {},
    },
    dockerImageManifests: manifests,
  };
}

function envelope(input: ImageFromManifestInput, mediaType: string) {
  return {
    kind: 'Image' as const,
    apiVersion: 'image.openshift.io/v1' as const,
    metadata: input.annotations
      ? { name: input.digest, annotations: { ...input.annotations } }
      : { name: input.digest },
    dockerImageReference: referenceByDigest(input.pullSpec, input.digest),
    dockerImageMetadataVersion: '1.0' as const,
    dockerImageManifestMediaType: mediaType,
    dockerImageManifest: Buffer.isBuffer(input.rawManifest)
      ? input.rawManifest.toString('utf8')
      : input.rawManifest,
  };
}
