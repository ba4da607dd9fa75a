import { fillMissingPlatforms, imageFromParsedManifest, unsupportedManifestError } from './image-from-manifest';
import { UnsupportedManifestError } from './manifest-errors';
import type { ManifestDescriptor, ParsedManifest } from './manifest.types';
import type { ParsedImage } from './parsed-image.types';
import { parseManifest } from './parse-manifest';
import type { FetchedManifest } from './registry-client';
import type { ImageSource } from './fetch-image';

/** OpenShift's importMode: Legacy keeps one platform of a list, PreserveOriginal keeps the list. */
export type ImportMode = 'Legacy' | 'PreserveOriginal';

/** A platform an import prefers when it meets a list (os/architecture[/variant]). */
export interface PlatformPreference {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImportImageOptions {
  mode: ImportMode;
  /** Repository part of dockerImageReference, as the user wrote it (`host/ns/name`). */
  pullSpec: string;
  /** Legacy mode: the platform preferred when a list is found (then linux/amd64, then the first entry). */
  platform?: PlatformPreference;
  /** PreserveOriginal: a list with more children is refused (bounded work per import). */
  maxChildren?: number;
  now?: Date;
}

export interface ImportedImage {
  /** The single image; for PreserveOriginal lists the list itself (with dockerImageManifests). */
  image: ParsedImage;
  /** PreserveOriginal lists: one Image per distinct child, in list order. */
  children: ParsedImage[];
}

const DEFAULT_MAX_CHILDREN = 64;

/**
 * An entry of a list imported with PreserveOriginal could not be read: OpenShift's importer then
 * reports the entry's own reference (`<repository>@<digest>`), not the list's. `cause` is the error.
 */
export class ListEntryImportError extends Error {
  constructor(
    readonly digest: string,
    override readonly cause: unknown,
  ) {
    super(`list entry ${digest}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ListEntryImportError';
  }
}

/** Node's process.arch in the GOARCH spelling image indexes use. */
export function serverPlatform(): PlatformPreference {
  const arch: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/**
 * The entry a Legacy import keeps (openshift importer): the preferred platform, else linux/amd64,
 * else the first entry. A variant only narrows the choice when one was asked for.
 */
export function chooseListEntry(entries: readonly ManifestDescriptor[], preferred?: PlatformPreference): ManifestDescriptor | undefined {
  const matches = (p: PlatformPreference) => (e: ManifestDescriptor) =>
    e.platform?.os === p.os && e.platform.architecture === p.architecture && (!p.variant || e.platform.variant === p.variant);
  return (
    (preferred ? entries.find(matches(preferred)) : undefined) ??
    entries.find(matches({ os: 'linux', architecture: 'amd64' })) ??
    entries[0]
  );
}

/**
 * Reads `repository:reference` for an ImageStreamImport: a single image with its config, or a list
 * that Legacy narrows to one child (only that child is fetched) and PreserveOriginal keeps whole.
 */
export async function importImage(
  client: ImageSource,
  repository: string,
  reference: string,
  options: ImportImageOptions,
): Promise<ImportedImage> {
  const base = { pullSpec: options.pullSpec, now: options.now };
  const top = await client.getManifest(repository, reference);
  const parsed = parseManifest(top.raw, top.mediaType);
  if (parsed.kind === 'image') return { image: await withConfig(client, repository, top, parsed, base), children: [] };
  if (parsed.kind !== 'list') throw unsupportedManifestError(parsed);

  const entries = parsed.manifest.manifests;
  if (options.mode === 'Legacy') {
    const entry = chooseListEntry(entries, options.platform);
    // Upstream's words (manifestFromManifestList); the import status puts the reference before them.
    if (!entry) throw new UnsupportedManifestError('no manifests in manifest list', parsed.mediaType);
    return { image: await child(client, repository, entry.digest, base), children: [] };
  }
  const digests = [...new Set(entries.map((m) => m.digest))];
  const max = options.maxChildren ?? DEFAULT_MAX_CHILDREN;
  if (digests.length > max) {
    throw new UnsupportedManifestError(`${repository}: the manifest list has ${digests.length} entries, more than ${max}`, parsed.mediaType);
  }
  const image = imageFromParsedManifest(parsed, { ...base, digest: top.digest, rawManifest: top.raw, mediaType: top.mediaType });
  // Upstream reads the entries one after the other and names the first that fails by its digest.
  const settled = await Promise.allSettled(digests.map((d) => child(client, repository, d, base)));
  const failedAt = settled.findIndex((r) => r.status === 'rejected');
  if (failedAt >= 0) throw new ListEntryImportError(digests[failedAt]!, (settled[failedAt] as PromiseRejectedResult).reason);
  const children = settled.map((r) => (r as PromiseFulfilledResult<ParsedImage>).value);
  fillMissingPlatforms(image, children);
  return { image, children };
}

async function child(client: ImageSource, repository: string, digest: string, base: { pullSpec: string; now?: Date }): Promise<ParsedImage> {
  const fetched = await client.getManifest(repository, digest);
  const parsed = parseManifest(fetched.raw, fetched.mediaType);
  if (parsed.kind !== 'image') {
    throw new UnsupportedManifestError(`${repository}@${digest}: a list entry must be an image manifest, got ${parsed.mediaType}`, parsed.mediaType);
  }
  return withConfig(client, repository, fetched, parsed, base);
}

async function withConfig(
  client: ImageSource,
  repository: string,
  fetched: FetchedManifest,
  parsed: Extract<ParsedManifest, { kind: 'image' }>,
  base: { pullSpec: string; now?: Date },
): Promise<ParsedImage> {
  const rawConfig = await client.getBlob(repository, parsed.manifest.config.digest);
  return imageFromParsedManifest(parsed, { ...base, digest: fetched.digest, rawManifest: fetched.raw, mediaType: fetched.mediaType, rawConfig });
}
