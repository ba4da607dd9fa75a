import {
  formatApiTime,
  IMAGE_MANIFEST_TYPES,
  ImageAnnotations,
  imageMetadataFromConfig,
  layersOfManifest,
  MANIFEST_LIST_TYPES,
  manifestsOfList,
  MediaTypes,
  normalizeMediaType,
  type ParsedManifest,
  parseManifest,
  readImageConfig,
  SCHEMA1_TYPES,
  verifyDigest,
} from '@app/registry';
import type { DockerImageMetadata, Image, ImageLayer, ImageManifest } from './image.types';

/** What the update checks need of a schema2/OCI image manifest. */
interface ImageManifestFacts {
  /** The document's own mediaType field, if it has one. */
  declared: string | undefined;
  /** The detected type (declared, else inferred from the shape). */
  type: string;
  configDigest: string;
}

export interface DeriveOptions {
  now: Date;
  /**
   * Create stamps a list's `Created`; an update keeps a `Created` it already has (upstream
   * re-stamps it on every update, which would make no-op writes change).
   */
  creating: boolean;
}

function emptyMetadata(): DockerImageMetadata {
  return { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', ContainerConfig: {} };
}

function markLayersAscending(image: Image): void {
  image.metadata.annotations = { ...(image.metadata.annotations ?? {}), [ImageAnnotations.dockerLayersOrder]: 'ascending' };
}

/**
 * Puts client-supplied layers base-first (openshift imageutil reorderImageLayers): without the
 * order annotation, schema2/OCI layer lists are taken as newest-first and reversed, schema1
 * lists are kept; other media types are left alone. The annotation then says `ascending`.
 */
export function reorderImageLayers(image: Image): void {
  const layers = image.dockerImageLayers;
  if (!layers?.length) return;
  const annotations = image.metadata.annotations ?? {};
  let order = Object.prototype.hasOwnProperty.call(annotations, ImageAnnotations.dockerLayersOrder)
    ? annotations[ImageAnnotations.dockerLayersOrder]
    : undefined;
  if (order === undefined) {
    const mediaType = image.dockerImageManifestMediaType ?? '';
    if (SCHEMA1_TYPES.includes(mediaType)) order = 'ascending';
    else if (IMAGE_MANIFEST_TYPES.includes(mediaType)) order = 'descending';
    else return;
  }
  if (order === 'descending') image.dockerImageLayers = [...layers].reverse();
  markLayersAscending(image);
}

function parsed(raw: string, mediaType?: string): ParsedManifest | Error {
  try {
    return parseManifest(raw, mediaType);
  } catch (e) {
    return e as Error;
  }
}

/**
 * Fills what the raw manifest (and config) say about an image, as openshift's
 * InternalImageWithMetadata does on Image create and update: layers (base first, order
 * annotation `ascending`), the media type, and for schema2/OCI images the DockerImage document
 * from the config (`Id` = config digest, `Size`); for lists `Id` = the image name and `Created`
 * (no media type: upstream leaves a list's as sent). Nothing happens without a manifest, or when
 * layers, Size and media type are all already there. Returns why derivation stopped (upstream only logs it: the image is stored as
 * sent), or null. Schema1 manifests are not parsed by this project: their images stay as sent.
 */
export function deriveImageMetadata(image: Image, options: DeriveOptions): string | null {
  if (!image.dockerImageManifest) return null;
  reorderImageLayers(image);
  const given = image.dockerImageLayers ?? [];
  if (given.length && (image.dockerImageMetadata?.Size ?? 0) > 0 && image.dockerImageManifestMediaType) return null;
  const manifest = parsed(image.dockerImageManifest);
  if (manifest instanceof Error) return manifest.message;
  const metadata = image.dockerImageMetadata ?? emptyMetadata();
  switch (manifest.kind) {
    case 'list': {
      // Upstream tells a list by the mediaType the document itself declares; an OCI index that
      // leaves it out (allowed, and accepted by distribution) goes the image way there: no
      // layers, order ascending, media type as sent, then no config to read.
      if (!MANIFEST_LIST_TYPES.includes(manifest.manifest.mediaType ?? '')) {
        if (!given.length) {
          image.dockerImageLayers = [];
          markLayersAscending(image);
        }
        image.dockerImageManifestMediaType ||= MediaTypes.dockerManifest;
        if (!image.dockerImageConfig) return `dockerImageConfig must not be empty for manifest type "${image.dockerImageManifestMediaType}"`;
        try {
          // The document names no config: upstream's Id is its empty config digest.
          image.dockerImageMetadata = imageMetadataFromConfig('', image.dockerImageConfig, []);
        } catch (e) {
          return `failed to parse dockerImageConfig: ${(e as Error).message}`;
        }
        return null;
      }
      const keepCreated = !options.creating && metadata.Created;
      image.dockerImageMetadata = { ...metadata, Id: image.metadata.name, Created: keepCreated ? metadata.Created : formatApiTime(options.now) };
      return null;
    }
    case 'image': {
      // The document's own mediaType wins; without one the image's, else docker schema2 (upstream).
      const mediaType = manifest.manifest.mediaType ?? (image.dockerImageManifestMediaType || MediaTypes.dockerManifest);
      image.dockerImageManifestMediaType = mediaType;
      if (!given.length) {
        image.dockerImageLayers = layersOfManifest(manifest.manifest);
        markLayersAscending(image);
      }
      if (!image.dockerImageConfig) return `dockerImageConfig must not be empty for manifest type "${mediaType}"`;
      try {
        image.dockerImageMetadata = imageMetadataFromConfig(manifest.manifest.config.digest, image.dockerImageConfig, image.dockerImageLayers ?? []);
      } catch (e) {
        return `failed to parse dockerImageConfig: ${(e as Error).message}`;
      }
      return null;
    }
    case 'unsupported':
      return deriveSchema1Metadata(image, image.dockerImageManifest, given);
    case 'unknown':
      return `unsupported manifest media type ${JSON.stringify(manifest.mediaType)}`;
  }
}

/** schema1.MediaTypeManifestLayer: what upstream calls a schema1 image's layers. */
const schema1LayerMediaType = 'application/vnd.docker.container.image.rootfs.diff+x-gtar';

/** A JSON object's field as Go's decoder finds it: the key matched case-insensitively, the last match winning. */
function goKey(doc: unknown, name: string): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  let value: unknown;
  for (const [key, v] of Object.entries(doc)) if (key.toLowerCase() === name.toLowerCase()) value = v;
  return value;
}

/** A schema1 `v1Compatibility` entry's `size`, 0 when it is not a JSON object with an integer there (upstream's decode-or-zero). */
function v1CompatibilitySize(raw: string): number {
  try {
    const size = goKey(JSON.parse(raw), 'size');
    return Number.isSafeInteger(size) ? (size as number) : 0;
  } catch {
    return 0;
  }
}

/**
 * The schema 1 branch of openshift InternalImageWithMetadata: layers from `fsLayers` (schema1 lists
 * the newest first, so they are reversed; each size is its `history` entry's `v1Compatibility`
 * `size`), unless layers were given; media type `application/vnd.docker.distribution.manifest.v1+json`
 * (signed or not); `dockerImageMetadata` from the newest `v1Compatibility` document (`Id` its `id`),
 * with `Size` the sum of the distinct layers. Returns why it stopped, as the caller does.
 */
function deriveSchema1Metadata(image: Image, raw: string, given: ImageLayer[]): string | null {
  const doc = JSON.parse(raw) as unknown;
  const fsLayers = goKey(doc, 'fsLayers') ?? [];
  const history = goKey(doc, 'history') ?? [];
  if (!Array.isArray(fsLayers) || !Array.isArray(history)) return 'fsLayers and history must be arrays';
  const blobSums: string[] = [];
  const entries: string[] = [];
  for (const layer of fsLayers) {
    const blobSum = goKey(layer, 'blobSum') ?? '';
    if (typeof blobSum !== 'string') return 'fsLayers[].blobSum must be a string';
    blobSums.push(blobSum);
  }
  for (const entry of history) {
    const compatibility = goKey(entry, 'v1Compatibility') ?? '';
    if (typeof compatibility !== 'string') return 'history[].v1Compatibility must be a string';
    entries.push(compatibility);
  }
  if (!given.length) {
    if (entries.length !== blobSums.length) {
      return `mismatched history and fslayer cardinality (${entries.length} != ${blobSums.length})`;
    }
    image.dockerImageLayers = entries
      .map((compatibility, i): ImageLayer => ({ name: blobSums[i]!, size: v1CompatibilitySize(compatibility), mediaType: schema1LayerMediaType }))
      .reverse();
    markLayersAscending(image);
  }
  image.dockerImageManifestMediaType = MediaTypes.dockerSchema1;
  if (!entries.length) return 'a schema 1 manifest without history';
  let compatibility: unknown;
  let config: ReturnType<typeof readImageConfig>;
  try {
    compatibility = JSON.parse(entries[0]!);
    config = readImageConfig(entries[0]!);
  } catch (e) {
    return `failed to parse v1Compatibility: ${(e as Error).message}`;
  }
  const id = goKey(compatibility, 'id');
  const { Os: _os, Variant: _variant, ...fields } = config;
  let size = 0;
  const seen = new Set<string>();
  for (const layer of image.dockerImageLayers ?? []) {
    if (seen.has(layer.name)) continue;
    seen.add(layer.name);
    size += layer.size;
  }
  image.dockerImageMetadata = { ...emptyMetadata(), Id: typeof id === 'string' ? id : '', ...fields, Size: size };
  return null;
}

/**
 * On create, a list's children replace `dockerImageManifests` (upstream image PrepareForCreate),
 * but only when the image's own media type reads the document as a list, as distribution's
 * UnmarshalManifest does with it: a Docker manifest list must declare that type, an OCI index may
 * omit it but must carry no config or layers. Any other media type (none included) reads it as
 * schema1, so a list sent without its media type gets no children.
 */
export function deriveListChildren(image: Image): void {
  if (!image.dockerImageManifest) return;
  const mediaType = normalizeMediaType(image.dockerImageManifestMediaType);
  if (!MANIFEST_LIST_TYPES.includes(mediaType)) return;
  const manifest = parsed(image.dockerImageManifest, mediaType);
  if (manifest instanceof Error || manifest.kind !== 'list') return;
  const declared = manifest.manifest.mediaType;
  if (mediaType === MediaTypes.dockerManifestList ? declared !== mediaType : declared !== undefined && declared !== mediaType) return;
  const doc = JSON.parse(image.dockerImageManifest) as Record<string, unknown>;
  if (doc['config'] !== undefined || doc['layers'] !== undefined) return;
  image.dockerImageManifests = withKnownPlatforms(manifestsOfList(manifest.manifest), image.dockerImageManifests);
}

/**
 * Entries derived from the raw list keep the platform the writer already filled in where the
 * list has none (OCI makes `platform` optional; ingestion takes it from the child's config).
 */
function withKnownPlatforms(derived: ImageManifest[], given: ImageManifest[] | undefined): ImageManifest[] {
  const known = new Map((given ?? []).map((m) => [m.digest, m]));
  return derived.map((m) => {
    const k = known.get(m.digest);
    if (!k) return m;
    return {
      ...m,
      architecture: m.architecture || k.architecture,
      os: m.os || k.os,
      ...(m.variant || k.variant ? { variant: m.variant || k.variant } : {}),
    };
  });
}

function imageManifestOf(raw: string): ImageManifestFacts | null {
  const manifest = parsed(raw);
  if (manifest instanceof Error || manifest.kind !== 'image') return null;
  return { declared: manifest.manifest.mediaType, type: manifest.mediaType, configDigest: manifest.manifest.config.digest };
}

/**
 * Whether a manifest sent on update may replace the stored one (openshift ManifestMatchesImage):
 * it must hash to the image name and be an image manifest of the stored media type (schema2
 * documents must say so, OCI ones may omit it). Lists are refused, as upstream. An image without
 * a media type accepts schema2/OCI manifests (upstream would only try schema1 there).
 */
export function manifestMatchesImage(old: Image, raw: string): boolean {
  if (!verifyDigest(raw, old.metadata.name ?? '')) return false;
  const manifest = imageManifestOf(raw);
  if (!manifest) return false;
  switch (old.dockerImageManifestMediaType ?? '') {
    case '':
      return true;
    case MediaTypes.dockerManifest:
      return manifest.declared === MediaTypes.dockerManifest;
    case MediaTypes.ociManifest:
      return manifest.declared === undefined || manifest.declared === MediaTypes.ociManifest;
    default:
      return false;
  }
}

/**
 * Whether a config sent on update may replace the stored one (openshift ImageConfigMatchesImage):
 * the image's manifest (as it will be stored) is a schema2/OCI image manifest whose config
 * digest the config hashes to.
 */
export function configMatchesImage(image: Image, rawConfig: string): boolean {
  if (!image.dockerImageManifest) return false;
  const manifest = imageManifestOf(image.dockerImageManifest);
  if (!manifest) return false;
  const mediaType = image.dockerImageManifestMediaType || manifest.type;
  if (!IMAGE_MANIFEST_TYPES.includes(mediaType)) return false;
  return verifyDigest(rawConfig, manifest.configDigest);
}
