import {
  ImageAnnotations,
  importImage,
  type ImportMode,
  MANIFEST_LIST_TYPES,
  mapLimited,
  type ParsedImage,
  type PlatformPreference,
  serverPlatform,
} from '@app/registry';
import { exactReference, parseDockerImageReference } from '../reference/docker-reference';
import { defaultImage } from '../image/image.strategy';
import type { Image } from '../image/image.types';
import type { ImageStream, TagImportPolicy } from '../imagestream/imagestream.types';
import type { ImportConfig } from '@app/config';
import { importFailure, ImportTimeoutError, repositoryImportFailure, successResult, unnamedRepositoryFailure, UnprefixedImportError } from './import-status';
import { importTargetOf, normalizedReference } from './import-target';
import type { ImageImportStatus, ImageStreamImport, ImageStreamImportStatus, RepositoryImportStatus } from './imagestreamimport.types';
import { RegistryConnections } from './registry-connections';
import { splitRepositoryTags } from './repository-tags';
import type { ServiceCredentialRule } from './service-credentials';
import { noPullCredentials, type PullCredentials } from '../secrets/namespace-pull-secrets';

const preferArch = 'importer.image.openshift.io/prefer-arch';
const preferOs = 'importer.image.openshift.io/prefer-os';
/** Tags read from a repository's tags/list at most (pages are followed up to this many). */
const maxListedTags = 10_000;

interface Fetch {
  name: string;
  tag?: string;
  insecure: boolean;
  mode: ImportMode;
  platform: PlatformPreference;
}

/**
 * An imported image as the Image API stores it; layers are base first, and say so (upstream
 * fillImageLayers, which marks every image manifest, one without layers too, and no list).
 * dockerImageMetadata is shaped as every Image on the wire (docker10.DockerImage: the config's
 * `os`/`variant` are not kept), also where the answer carries this looked-up image rather than a
 * stored one (import=false, or an Image that already existed).
 */
function asImage(parsed: ParsedImage): Image {
  const image: Image = { ...parsed, kind: 'Image', apiVersion: 'image.openshift.io/v1' };
  if (!MANIFEST_LIST_TYPES.includes(image.dockerImageManifestMediaType ?? '')) {
    image.metadata = { ...image.metadata, annotations: { ...(image.metadata.annotations ?? {}), [ImageAnnotations.dockerLayersOrder]: 'ascending' } };
  }
  defaultImage(image);
  return image;
}

/**
 * Where an image is looked up: the tag it is found under (`latest` when the reference names
 * none; none for a digest) and the reference as errors name it (with that defaulted tag; a digest
 * without the tag written beside it, as upstream's importer clears it on its digest path).
 */
function sourceOf(name: string): { tag?: string; shown: string } {
  try {
    const ref = parseDockerImageReference(name);
    if (ref.id) return { shown: normalizedReference(exactReference({ ...ref, tag: '' })) };
    return ref.tag ? { tag: ref.tag, shown: normalizedReference(name) } : { tag: 'latest', shown: normalizedReference(`${name}:latest`) };
  } catch {
    return { shown: name };
  }
}

/** Images spec.images entries found by tag in one request, by foundKey (upstream importer's per-request cache). */
type FoundByTag = Map<string, Image>;

/** Registry host and repository path of a name (upstream's repositoryKey); null for an unusable name. */
function repositoryKey(name: string): string | null {
  try {
    const target = importTargetOf(name);
    return JSON.stringify([target.host, target.repository]);
  } catch {
    return null;
  }
}

/** Repository, tag and import mode of a lookup by tag (upstream's manifestKey); null for an unusable name. */
function foundKey(name: string, tag: string, mode: ImportMode): string | null {
  const where = repositoryKey(name);
  return where === null ? null : JSON.stringify([where, tag, mode]);
}

/**
 * The read side of an ImageStreamImport: contacts the registries named in the spec and answers
 * status.images / status.repository, writing nothing. Identical requests are fetched once; the
 * whole lookup is bounded by IMPORT_TIMEOUT_MS (entries still running then fail as InternalError).
 */
export class RemoteImporter {
  constructor(private readonly config: ImportConfig) {}

  /**
   * `mayUseCredentials`: which repositories of the configured registry are read with its login;
   * `pullCredentials`: the importing namespace's pull secrets by registry and repository (tried first).
   */
  async lookup(
    isi: ImageStreamImport,
    stream: ImageStream | null,
    mayUseCredentials: ServiceCredentialRule,
    pullCredentials: PullCredentials = noPullCredentials,
  ): Promise<Omit<ImageStreamImportStatus, 'import'>> {
    const connections = new RegistryConnections(this.config, mayUseCredentials, pullCredentials);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new ImportTimeoutError(this.config.importTimeoutMs));
      }, this.config.importTimeoutMs);
    });
    deadline.catch(() => undefined);
    const cache = new Map<string, Promise<{ image: Image; manifests: Image[] }>>();
    const fetchOnce = (f: Fetch) => {
      // Out of time: entries not started yet fail at once instead of opening new connections.
      if (timedOut) return Promise.reject(new ImportTimeoutError(this.config.importTimeoutMs));
      const key = JSON.stringify(f);
      let p = cache.get(key);
      if (!p) {
        p = this.fetch(connections, f);
        cache.set(key, p);
      }
      return Promise.race([p, deadline]);
    };
    try {
      const out: Omit<ImageStreamImportStatus, 'import'> = {};
      const images = isi.spec.images ?? [];
      const found: FoundByTag = new Map();
      // Upstream importImages reads the entries repository by repository: the first entry naming
      // a repository decides whether all of it is read insecurely (each spec tag keeps its own policy).
      const insecureOf = new Map<string, boolean>();
      for (const spec of images) {
        const where = repositoryKey(spec.from.name!);
        if (where && !insecureOf.has(where)) insecureOf.set(where, this.insecure(spec.importPolicy));
      }
      if (images.length) {
        out.images = await mapLimited(images, this.config.fetchConcurrency, async (spec) => {
          // status.images[].tag is where the image was found (upstream importer), not where it goes.
          const source = sourceOf(spec.from.name!);
          const target = source.tag === undefined ? undefined : (stream?.spec.tags?.find((t) => t.name === (spec.to?.name ?? source.tag))?.annotations ?? {});
          const fetch: Fetch = {
            name: spec.from.name!,
            insecure: insecureOf.get(repositoryKey(spec.from.name!) ?? '') ?? this.insecure(spec.importPolicy),
            mode: this.mode(spec.importPolicy),
            // Upstream reads the target tag's prefer-arch/os only for a reference by tag; a digest gets the server's.
            platform: target === undefined ? serverPlatform() : this.platform(target),
          };
          const result = await this.result(source.shown, source.tag, () => fetchOnce(fetch), fetch.mode);
          // Only an image found by tag for a target without platform preferences is kept for a
          // repository import (upstream's cache key has the annotations as written, empty here).
          if (result.image && source.tag !== undefined && !target?.[preferArch] && !target?.[preferOs]) {
            const where = foundKey(spec.from.name!, source.tag, fetch.mode);
            if (where) found.set(where, result.image);
          }
          return result;
        });
      }
      const repo = isi.spec.repository;
      if (repo) out.repository = await this.repository(connections, repo.from.name!, repo.importPolicy, found, fetchOnce);
      return out;
    } finally {
      clearTimeout(timer);
      await connections.close(timedOut);
    }
  }

  private async result(
    name: string,
    tag: string | undefined,
    run: () => Promise<{ image: Image; manifests: Image[] }>,
    mode: ImportMode,
  ): Promise<ImageImportStatus> {
    try {
      const { image, manifests } = await run();
      const status: ImageImportStatus = { status: successResult(), image: structuredClone(image) };
      if (tag) status.tag = tag;
      if (mode === 'PreserveOriginal' && manifests.length) status.manifests = structuredClone(manifests);
      return status;
    } catch (err) {
      return { status: importFailure(name, err), ...(tag ? { tag } : {}) };
    }
  }

  private async fetch(connections: RegistryConnections, f: Fetch): Promise<{ image: Image; manifests: Image[] }> {
    // A registry alone names no repository: upstream's importer fails to parse its (empty) Exact().
    if (!parseDockerImageReference(f.name).name) throw new UnprefixedImportError('unable to parse docker reference : invalid reference format');
    const target = importTargetOf(f.name, f.tag);
    const imported = await connections.with(target.host, target.repository, f.insecure, (client) =>
      importImage(client, target.repository, target.reference, {
        mode: f.mode,
        pullSpec: target.pullSpec,
        platform: f.platform,
        maxChildren: this.config.maxListChildren,
      }),
    );
    const image = asImage(imported.image);
    if (imported.children.length) {
      // upstream's manifestListToImage keeps no raw manifest for a list: includeManifest has nothing to show for it.
      delete image.dockerImageManifest;
      delete image.dockerImageConfig;
    }
    return { image, manifests: imported.children.map(asImage) };
  }

  private async repository(
    connections: RegistryConnections,
    name: string,
    policy: TagImportPolicy,
    found: FoundByTag,
    fetchOnce: (f: Fetch) => Promise<{ image: Image; manifests: Image[] }>,
  ): Promise<RepositoryImportStatus> {
    const insecure = this.insecure(policy);
    const target = importTargetOf(name);
    if (!target.repository) return { status: unnamedRepositoryFailure() };
    let tags: string[];
    try {
      tags = await connections.with(target.host, target.repository, insecure, (c) => c.listTags(target.repository, maxListedTags));
    } catch (err) {
      return { status: repositoryImportFailure(name, err) };
    }
    const { imported, additional: beyond } = splitRepositoryTags(tags, this.config.maxRepositoryTags);
    const mode = this.mode(policy);
    const images = await mapLimited(imported, this.config.fetchConcurrency, (tag) =>
      // A repository's tags are imported for the server's platform, whatever the stream's tags prefer (as upstream).
      this.result(normalizedReference(`${name}:${tag}`), tag, () => fetchOnce({ name, tag, insecure, mode, platform: serverPlatform() }), mode),
    );
    // Upstream importFromRepository: a tag beyond the limit that spec.images already found in this
    // request (same repository and import mode) is imported with the repository all the same,
    // after the others, named in this repository (its list entries are not repeated).
    const additional: string[] = [];
    for (const tag of beyond) {
      const where = foundKey(name, tag, mode);
      const image = where ? found.get(where) : undefined;
      if (!image) {
        additional.push(tag);
        continue;
      }
      const copy = structuredClone(image);
      copy.dockerImageReference = `${target.pullSpec}@${copy.metadata.name!}`;
      images.push({ status: successResult(), image: copy, tag });
    }
    const failed = images.filter((i) => i.status.status !== 'Success').length;
    const status = failed
      ? {
          metadata: {},
          status: 'Failure' as const,
          reason: 'ImportFailed',
          message: failed === 1 ? 'one of the images from this repository failed to import' : `${failed} of the images from this repository failed to import`,
        }
      : successResult();
    // Both lists are omitempty upstream: a repository without tags answers neither.
    return { status, ...(images.length ? { images } : {}), ...(additional.length ? { additionalTags: additional } : {}) };
  }

  /**
   * Only the entry's own importPolicy.insecure, as upstream's importer (allowRegistryInsecureAccess):
   * the stream's openshift.io/image.insecureRepository annotation is read by clients (oc
   * import-image, unless --insecure is given) and by the import controller for a full import,
   * never by the server for an entry that says nothing or insecure: false.
   */
  private insecure(policy: TagImportPolicy | undefined): boolean {
    return policy?.insecure === true;
  }

  private mode(policy: TagImportPolicy | undefined): ImportMode {
    const mode = policy?.importMode || this.config.defaultImportMode;
    return mode === 'PreserveOriginal' ? 'PreserveOriginal' : 'Legacy';
  }

  /** prefer-arch/prefer-os annotations of the target spec tag, else the server's platform. */
  private platform(annotations: Record<string, string>): PlatformPreference {
    const server = serverPlatform();
    return { os: annotations[preferOs] || server.os, architecture: annotations[preferArch] || server.architecture };
  }
}
