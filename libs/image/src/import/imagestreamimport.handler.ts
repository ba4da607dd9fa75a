import { randomUUID } from 'node:crypto';
import { ApiError, checkNamespaceOnCreate, decodeTypedBody, nowTimestamp, refOf, serverWriteOptions, type WriteOptions, type WriteResult } from '@app/api-machinery';
import { currentRequestAccess, type ImportConfig, type RequestAccess } from '@app/config';
import type { Database, GenericStore, ResourceHandler } from '@app/persistence';
import { importRefusals } from '../allowed-registries/allowed-registries.validation';
import type { RegistryAllowList } from '../allowed-registries/registry-allow-list';
import type { Image } from '../image/image.types';
import type { ImageStream } from '../imagestream/imagestream.types';
import { imageStreamImportsInfo } from '../resources/resource-infos';
import { clearManifests, untypeEmbedded } from './import-status';
import { defaultImageStreamImport, validateImageStreamImport } from './imagestreamimport.validation';
import type { ImageImportStatus, ImageStreamImport } from './imagestreamimport.types';
import type { RemoteImporter } from './remote-importer';
import { serviceCredentialRule } from './service-credentials';
import { namespacePullCredentials } from '../secrets/namespace-pull-secrets';
import type { StreamImportWriter, TagImport, WritePreconditions } from './stream-import-writer';

const isAlreadyExists = (e: unknown) => e instanceof ApiError && e.reason === 'AlreadyExists';

/**
 * ImageStreamImport create (openshift-apiserver registry/imagestreamimport/rest.go): looks the
 * named images up in their registries and answers per-image results; with `spec.import` it also
 * creates the Images and writes tags, spec tags and failure conditions into the stream in one
 * write (creating it with them when missing). Nothing of the ImageStreamImport itself is stored.
 */
export class ImageStreamImportHandler implements ResourceHandler {
  readonly info = imageStreamImportsInfo;

  constructor(
    private readonly db: Database,
    private readonly streams: GenericStore<ImageStream>,
    private readonly images: GenericStore<Image>,
    private readonly importer: RemoteImporter,
    private readonly writer: StreamImportWriter,
    private readonly config: ImportConfig,
    /** allowedRegistriesForImport; null: every registry allowed. */
    private readonly allowedRegistries: RegistryAllowList | null = null,
  ) {}

  /**
   * rest.go: a caller who may create neither Images nor ImageStreamMappings (cluster-wide access
   * reviews, as upstream asks them) imports only from allowed registries, checked before any
   * registry is asked. Without a caller (API authentication off, the background importer) nothing
   * is checked here; the stream write still refuses tags sourced elsewhere.
   */
  private sourceRefusals(isi: ImageStreamImport) {
    const access = currentRequestAccess();
    if (!this.allowedRegistries || !access) return [];
    const mayCreate = (resource: string) => access.can({ verb: 'create', group: 'image.openshift.io', resource, subresource: '', namespace: '', name: '' }).allowed;
    // Upstream asks about `imagestreammapping` (singular), which only a wildcard rule grants.
    if (mayCreate('images') || mayCreate('imagestreammapping')) return [];
    return importRefusals(this.allowedRegistries, isi.spec);
  }

  async create(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const isi = this.decode(namespace, body);
    // The create handler wipes the system fields of a request body before the storage sees it
    // (apiserver rest.WipeObjectMetaSystemFields): a uid sent over HTTP is no precondition (only
    // resourceVersion is); the background importer passes its uid to run() directly.
    delete isi.metadata.uid;
    return { code: 201, body: await this.run(namespace, isi, options, undefined, requestedTags(isi), currentRequestAccess()) };
  }

  /**
   * The whole import; also the entry point of the background stream import (with `select`, and no
   * `caller`: the configured registry's login then reads only the stream's own namespace).
   */
  async run(
    namespace: string,
    isi: ImageStreamImport,
    options: WriteOptions,
    select?: WritePreconditions['select'],
    explicitTags?: WritePreconditions['explicitTags'],
    caller?: RequestAccess,
  ): Promise<ImageStreamImport> {
    const input = { resourceVersion: isi.metadata.resourceVersion, uid: isi.metadata.uid };
    delete isi.status;
    // No name is made from generateName: upstream's REST Create calls rest.BeforeCreate itself (no
    // generic store), and the ImageStreamImport strategy's GenerateName is "" (older apiservers
    // answer 422 name required, which we keep; current ones 500 "metadata.name was not generated").
    defaultImageStreamImport(isi, this.config.defaultImportMode);
    const errors = validateImageStreamImport(namespace, isi, this.config.maxImages);
    if (errors.length) throw ApiError.invalid(refOf(this.info), isi.metadata.name ?? '', errors);
    const refused = this.sourceRefusals(isi);
    if (refused.length) throw ApiError.invalid(refOf(this.info), isi.metadata.name ?? '', refused);
    const name = isi.metadata.name!;
    // rest.FillObjectMetaSystemFields: a new uid and creation time; the rest of the request's
    // metadata (its resourceVersion included) is answered as sent, as upstream's rest.go does.
    isi.metadata = { ...isi.metadata, namespace, uid: randomUUID(), creationTimestamp: nowTimestamp() };

    // Preconditions are checked before the (slow) lookup as upstream, and again under the lock.
    const stream = await this.streams.storage.get(this.db, namespace, name);
    const streamRef = { group: this.info.group, resource: 'imagestream' };
    // A missing stream is the stream store's own NotFound upstream, which names the requested
    // resource (imagestreamimports); a uid mismatch is rest.go's (singular imagestream).
    if (!stream && (input.resourceVersion || input.uid)) throw ApiError.notFound(refOf(this.info), name);
    if (stream && input.resourceVersion && input.resourceVersion !== stream.metadata.resourceVersion) {
      throw ApiError.conflict(streamRef, name, `the image stream was updated from "${input.resourceVersion}" to "${stream.metadata.resourceVersion}"`);
    }
    if (stream && input.uid && input.uid !== stream.metadata.uid) throw ApiError.notFound(streamRef, name);

    // The namespace's pull secrets, read once per import (request-time and background alike).
    const pullCredentials = await namespacePullCredentials(this.db, namespace);
    isi.status = await this.importer.lookup(isi, stream, serviceCredentialRule(this.config.accessControl, namespace, caller), pullCredentials);
    if (isi.spec.import) {
      // Taken before the Images are created: createImages may answer an entry with the Image an
      // earlier entry created from another repository, while its tag records its own pull spec.
      const imports = this.tagImports(isi);
      await this.createImages(isi, options);
      isi.status.import = await this.writer.write(namespace, name, imports, { ...input, select, explicitTags }, options);
    }
    clearManifests(isi);
    untypeEmbedded(isi);
    return { kind: this.info.kind, apiVersion: `${this.info.group}/${this.info.version}`, ...isi };
  }

  private decode(namespace: string, body: unknown): ImageStreamImport {
    const isi = decodeTypedBody<ImageStreamImport>(body, this.info.kind, `${this.info.group}/${this.info.version}`);
    checkNamespaceOnCreate(isi.metadata.namespace, namespace);
    delete isi.kind;
    delete isi.apiVersion;
    return isi;
  }

  /** What the stream write gets: tagged spec.images entries, then each tag of a repository import. */
  private tagImports(isi: ImageStreamImport): TagImport[] {
    const out: TagImport[] = [];
    const repo = isi.spec.repository;
    if (repo) {
      const base = repo.from.name!;
      for (const result of isi.status?.repository?.images ?? []) {
        if (!result.tag) continue;
        out.push({
          tag: result.tag,
          from: `${base}:${result.tag}`,
          importPolicy: repo.importPolicy,
          referencePolicy: repo.referencePolicy,
          result,
          ...(result.image?.dockerImageReference ? { imageReference: result.image.dockerImageReference } : {}),
          specTagOnFailure: false,
        });
      }
    }
    (isi.spec.images ?? []).forEach((spec, i) => {
      const result = isi.status?.images?.[i];
      if (!spec.to || !result) return;
      out.push({
        tag: spec.to.name,
        from: spec.from.name!,
        importPolicy: spec.importPolicy,
        referencePolicy: spec.referencePolicy,
        result,
        ...(result.image?.dockerImageReference ? { imageReference: result.image.dockerImageReference } : {}),
        specTagOnFailure: true,
      });
    });
    return out;
  }

  /**
   * Creates the Images the stream will name (list children first, so a list never names a
   * missing Image); one that exists already is fine. Stored without signatures, raw manifest and
   * config, as upstream; the answer then carries the stored Image, or the looked-up one without
   * them when it existed: upstream's image creater clears them on the answer's own Image, so an
   * entry that is written answers no raw manifest, whatever includeManifest says.
   */
  private async createImages(isi: ImageStreamImport, options: WriteOptions): Promise<void> {
    const done = new Map<string, Image>();
    const create = async (image: Image): Promise<Image> => {
      const name = image.metadata.name!;
      const known = done.get(name);
      if (known) return known;
      const bare = structuredClone(image);
      delete bare.signatures;
      delete bare.dockerImageManifest;
      delete bare.dockerImageConfig;
      const stored = { ...bare, metadata: { name, ...(image.metadata.annotations ? { annotations: image.metadata.annotations } : {}) } };
      let result: Image;
      try {
        result = (await this.images.create('', stored, serverWriteOptions(options))).body as Image;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        result = bare;
      }
      done.set(name, result);
      return result;
    };
    const record = async (status: ImageImportStatus) => {
      if (status.status.status !== 'Success' || !status.image) return;
      if (status.manifests) status.manifests = await Promise.all(status.manifests.map(create));
      status.image = await create(status.image);
    };
    for (const status of isi.status?.repository?.images ?? []) await record(status);
    for (const [i, spec] of (isi.spec.images ?? []).entries()) {
      const status = isi.status?.images?.[i];
      if (spec.to && status) await record(status);
    }
  }
}

/**
 * The tags a user's import request names in `spec.images[].to` (`oc import-image app:3.1
 * --from=…@sha256:…`, `oc tag --source=docker`): moving them is that user's doing, as a spec write
 * is, so trigger dependents take it as an explicit re-point (an older image included). Tags a
 * repository import brings along follow the remote repository, as a scheduled import does.
 */
function requestedTags(isi: ImageStreamImport): ReadonlySet<string> {
  return new Set((isi.spec?.images ?? []).flatMap((image) => (image.to?.name ? [image.to.name] : [])));
}
