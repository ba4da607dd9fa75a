import { isDigest } from './digest';
import {
  type Fail,
  type JsonRecord,
  parseJson,
  readArray,
  readOptionalString,
  readOptionalStringArray,
  readOptionalStringMap,
  readRecord,
  readSize,
  readString,
} from './json-shape';
import { ManifestInvalidError } from './manifest-errors';
import type {
  Descriptor,
  ImageManifestDocument,
  ManifestDescriptor,
  ManifestFormat,
  ManifestListDocument,
  ParsedManifest,
  Platform,
} from './manifest.types';
import {
  IMAGE_MANIFEST_TYPES,
  MANIFEST_LIST_TYPES,
  MediaTypes,
  SCHEMA1_TYPES,
  normalizeMediaType,
} from './media-types';

const fail: Fail = (message) => new ManifestInvalidError(message);

const KNOWN_TYPES = new Set([...IMAGE_MANIFEST_TYPES, ...MANIFEST_LIST_TYPES, ...SCHEMA1_TYPES]);

/**
 * Detects the kind of a raw manifest and validates its shape.
 *
 * The type comes from the document's own `mediaType` field when present, else from the
 * Content-Type header when that is a manifest type, else from the shape (OCI allows omitting
 * `mediaType`). A header and a body naming two different manifest types is treated as corruption.
 * Throws ManifestInvalidError for malformed JSON or a shape that contradicts the type.
 */
export function parseManifest(raw: Buffer | string, mediaTypeHeader?: string | null): ParsedManifest {
  const doc = readRecord(parseJson(raw, 'manifest', fail), 'manifest', fail);
  const header = normalizeMediaType(mediaTypeHeader);
  const declared = readOptionalString(doc['mediaType'], 'mediaType', fail);

  if (doc['schemaVersion'] === 1) {
    const mediaType = SCHEMA1_TYPES.includes(header)
      ? header
      : doc['signatures'] !== undefined
        ? MediaTypes.dockerSchema1Signed
        : MediaTypes.dockerSchema1;
    return { kind: 'unsupported', reason: 'schema1', mediaType };
  }
  if (doc['schemaVersion'] !== 2) throw fail('schemaVersion must be 2');
  if (declared !== undefined && KNOWN_TYPES.has(header) && header !== declared) {
    throw fail(`mediaType ${declared} does not match Content-Type ${header}`);
  }

  const mediaType = declared ?? (KNOWN_TYPES.has(header) ? header : inferOciType(doc));
  if (IMAGE_MANIFEST_TYPES.includes(mediaType)) {
    return {
      kind: 'image',
      format: formatOf(mediaType),
      mediaType,
      manifest: readImageManifest(doc, declared),
    };
  }
  if (MANIFEST_LIST_TYPES.includes(mediaType)) {
    return {
      kind: 'list',
      format: formatOf(mediaType),
      mediaType,
      manifest: readManifestList(doc, declared),
    };
  }
  if (SCHEMA1_TYPES.includes(mediaType)) throw fail(`${mediaType} document must have schemaVersion 1`);
  return { kind: 'unknown', mediaType };
}

function formatOf(mediaType: string): ManifestFormat {
  return mediaType.startsWith('application/vnd.oci.') ? 'oci' : 'docker';
}

/** OCI documents may omit mediaType; their shape tells an index from a manifest. */
function inferOciType(doc: JsonRecord): string {
  if (Array.isArray(doc['manifests'])) return MediaTypes.ociIndex;
  if (doc['config'] !== undefined) return MediaTypes.ociManifest;
  return '';
}

function readImageManifest(doc: JsonRecord, mediaType: string | undefined): ImageManifestDocument {
  const layers = readArray(doc['layers'], 'layers', fail).map((l, i) => readDescriptor(l, `layers[${i}]`));
  return stripUndefined({
    schemaVersion: 2,
    mediaType,
    config: readDescriptor(doc['config'], 'config'),
    layers,
    annotations: readOptionalStringMap(doc['annotations'], 'annotations', fail),
  });
}

function readManifestList(doc: JsonRecord, mediaType: string | undefined): ManifestListDocument {
  const manifests = readArray(doc['manifests'], 'manifests', fail).map((m, i): ManifestDescriptor => {
    const path = `manifests[${i}]`;
    const descriptor = readDescriptor(m, path);
    const platform = (m as JsonRecord)['platform'];
    return platform === undefined
      ? descriptor
      : { ...descriptor, platform: readPlatform(platform, `${path}.platform`) };
  });
  return stripUndefined({
    schemaVersion: 2,
    mediaType,
    manifests,
    annotations: readOptionalStringMap(doc['annotations'], 'annotations', fail),
  });
}

function readDescriptor(value: unknown, path: string): Descriptor {
  const d = readRecord(value, path, fail);
  const digest = readString(d['digest'], `${path}.digest`, fail);
  if (!isDigest(digest)) throw fail(`${path}.digest ${JSON.stringify(digest)} is not a valid digest`);
  return stripUndefined({
    mediaType: readString(d['mediaType'], `${path}.mediaType`, fail),
    digest,
    size: readSize(d['size'], `${path}.size`, fail),
    urls: readOptionalStringArray(d['urls'], `${path}.urls`, fail),
    annotations: readOptionalStringMap(d['annotations'], `${path}.annotations`, fail),
  });
}

function readPlatform(value: unknown, path: string): Platform {
  const p = readRecord(value, path, fail);
  return stripUndefined({
    architecture: readString(p['architecture'], `${path}.architecture`, fail),
    os: readString(p['os'], `${path}.os`, fail),
    variant: readOptionalString(p['variant'], `${path}.variant`, fail),
    'os.version': readOptionalString(p['os.version'], `${path}.os.version`, fail),
    'os.features': readOptionalStringArray(p['os.features'], `${path}.os.features`, fail),
  });
}

/** Drops keys whose value is undefined so typed results compare cleanly and serialise minimally. */
function stripUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
