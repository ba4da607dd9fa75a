import { fillMissingPlatforms, imageFromParsedManifest, unsupportedManifestError } from './image-from-manifest';
import { UnsupportedManifestError } from './manifest-errors';
import type { ParsedManifest } from './manifest.types';
import type { ParsedImage } from './parsed-image.types';
import { parseManifest } from './parse-manifest';
import type { FetchedManifest, RegistryClient } from './registry-client';

/** What fetchImage needs from a client (a RegistryClient, or a fake in tests). */
export type ImageSource = Pick<RegistryClient, 'host' | 'getManifest' | 'getBlob'>;

export interface FetchImageOptions {
  /** Repository part of dockerImageReference; defaults to `<client.host>/<repository>`. */
  pullSpec?: string;
  annotations?: Record<string, string>;
  /** Created time for list/index Images; defaults to now. */
  now?: Date;
  /** See ImageFromManifestInput.undecodableConfig. */
  undecodableConfig?: 'throw' | 'empty-metadata';
}

export interface FetchedImage {
  /** The single image, or the list/index itself (with dockerImageManifests). */
  image: ParsedImage;
  /** For a list/index: one Image per distinct child, in list order. Empty for single images. */
  children: ParsedImage[];
}

/**
 * Reads `repository:reference` into Images: manifest + config for a single image; for a list or
 * index, the parent plus every child manifest fetched by digest (a child index without its own
 * children). Schema1 and unknown types throw UnsupportedManifestError; registry failures surface
 * as the client's typed errors.
 */
export async function fetchImage(
  client: ImageSource,
  repository: string,
  reference: string,
  options: FetchImageOptions = {},
): Promise<FetchedImage> {
  const pullSpec = options.pullSpec ?? `${client.host}/${repository}`;
  const top = await client.getManifest(repository, reference);
  const parsed = parseManifest(top.raw, top.mediaType);
  const base = { pullSpec, annotations: options.annotations, now: options.now, undecodableConfig: options.undecodableConfig };

  if (parsed.kind === 'image') {
    return { image: await imageWithConfig(client, repository, top, parsed, base), children: [] };
  }
  if (parsed.kind !== 'list') throw unsupportedManifestError(parsed);
  const image = imageFromParsedManifest(parsed, {
    ...base,
    digest: top.digest,
    rawManifest: top.raw,
    mediaType: top.mediaType,
  });

  const digests = [...new Set(parsed.manifest.manifests.map((m) => m.digest))];
  const children = await Promise.all(
    digests.map(async (digest) => {
      const child = await client.getManifest(repository, digest);
      const childParsed = parseManifest(child.raw, child.mediaType);
      if (childParsed.kind === 'list') {
        // A nested index: distribution accepts it and OpenShift records it as an Image with its own
        // dockerImageManifests. Its children were pushed by digest before it (distribution checks
        // they exist), and each push records its own Image.
        return imageFromParsedManifest(childParsed, { ...base, digest: child.digest, rawManifest: child.raw, mediaType: child.mediaType });
      }
      if (childParsed.kind !== 'image') {
        throw new UnsupportedManifestError(
          `${repository}@${digest}: a list/index child must be an image manifest or an index, got ${childParsed.mediaType}`,
          childParsed.mediaType,
        );
      }
      return imageWithConfig(client, repository, child, childParsed, base);
    }),
  );
  fillMissingPlatforms(image, children);
  return { image, children };
}

type ImageKind = Extract<ParsedManifest, { kind: 'image' }>;

async function imageWithConfig(
  client: ImageSource,
  repository: string,
  fetched: FetchedManifest,
  parsed: ImageKind,
  base: Pick<FetchImageOptions, 'annotations' | 'now' | 'undecodableConfig'> & { pullSpec: string },
): Promise<ParsedImage> {
  const rawConfig = await client.getBlob(repository, parsed.manifest.config.digest);
  return imageFromParsedManifest(parsed, {
    ...base,
    digest: fetched.digest,
    rawManifest: fetched.raw,
    mediaType: fetched.mediaType,
    rawConfig,
  });
}
