import { randomUUID } from 'node:crypto';
import {
  ApiError,
  apiVersionOf,
  checkKindAndVersion,
  checkNamespaceOnCreate,
  type FieldError,
  fieldErr,
  generateName,
  nowTimestamp,
  refOf,
  successStatus,
  validateEmbeddedObjectMeta,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import {
  type Database,
  finishWithVersionedWrites,
  jsonValue,
  type ResourceHandler,
  type TableStorage,
  type Transaction,
  type VersionedWrite,
} from '@app/persistence';
import { ImageStrategy } from '../image/image.strategy';
import type { Image } from '../image/image.types';
import { validateImage } from '../image/image.validation';
import type { ImageApiConfig } from '../image-config';
import { dockerImageRepositoryOf } from '../imagestream/imagestream-status';
import { aliasesOf } from '../imagestream/tag-aliases';
import { tagNameTooLong } from '../imagestream/imagestream.validation';
import type { ImageStream, TagEvent } from '../imagestream/imagestream.types';
import { exactReference, parseDockerImageReference, ReferenceError } from '../reference/docker-reference';
import { imageStreamMappingsInfo, imageStreamsInfo, imagesInfo } from '../resources/resource-infos';
import { OneTripGroupCommit } from './one-trip-group-commit';
import { type TagHistoryRepository, tagHistoryMarkSql } from '../tag-history/tag-history.repository';
import type { ImageLimits } from '../quota/image-limits';
import type { StreamLimits } from '../quota/stream-limits';
import { allowedEitherWay, statusReferenceRefusals } from '../allowed-registries/allowed-registries.validation';

export interface ImageStreamMapping {
  kind?: unknown;
  apiVersion?: unknown;
  metadata?: { name?: string; generateName?: string; namespace?: string };
  image?: Image;
  tag?: string;
}

/**
 * What a mapping did, for callers that need more than the Status (registry ingestion).
 * `imageCreated` is true when this mapping found no Image and queued its insert.
 */
export interface MappingOutcome {
  imageCreated: boolean;
  tagChanged: boolean;
  movedTags: string[];
}

const managedAnnotation = 'openshift.io/image.managed';

/** `<repository>@<image>` (`:<image>` for a non-digest name), or null when the repository does not parse (upstream then keeps the image's own reference). */
function pullSpecInRepository(repository: string, imageName: string): string | null {
  try {
    return exactReference({ ...parseDockerImageReference(repository), tag: '', id: imageName });
  } catch (e) {
    if (e instanceof ReferenceError) return null;
    throw e;
  }
}

/**
 * ImageStreamMapping create (openshift-apiserver registry/imagestreammapping/rest.go): creates
 * the Image if absent and moves the tag, in one transaction holding the stream's row lock, so
 * concurrent mappings into one stream serialise and none is lost or reordered (invariant 5).
 */
export class ImageStreamMappingHandler implements ResourceHandler {
  readonly info = imageStreamMappingsInfo;
  private readonly imageStrategy = new ImageStrategy();
  private readonly oneTrip: OneTripGroupCommit;

  constructor(
    private readonly db: Database,
    private readonly streams: TableStorage<ImageStream>,
    private readonly images: TableStorage<Image>,
    private readonly history: TagHistoryRepository,
    private readonly config: ImageApiConfig,
    private readonly limits?: ImageLimits,
  ) {
    this.oneTrip = new OneTripGroupCommit(db, config.mappingGroups);
  }

  async create(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    await this.map(namespace, body, options);
    return { code: 201, body: successStatus(undefined, 201) };
  }

  private validate(namespace: string, m: ImageStreamMapping): { streamName: string; tag: string; image: Image } {
    const streamName = m.metadata?.name ?? '';
    // The mapping's own ObjectMeta (namespaced; its namespace is the request's), then
    // ValidateImageStreamMapping's rules.
    const errors: FieldError[] = validateEmbeddedObjectMeta({ ...m.metadata, namespace }, 'metadata', true);
    // v1 has no dockerImageRepository (the internal type's other way to name the stream), so a
    // v1 mapping without a name lacks both.
    if (!streamName) errors.push(fieldErr.required('name'), fieldErr.required('dockerImageRepository'));
    if (!m.tag) errors.push(fieldErr.required('tag'));
    else errors.push(...tagNameTooLong(m.tag, 'tag'));
    // In Go the mapping's image is a struct, never absent: a mapping without one has an empty Image.
    const image = m.image ?? ({ metadata: {} } as Image);
    image.metadata ??= {};
    // The embedded Image's ObjectMeta is validated as a cluster-scoped object's (upstream validateImage).
    errors.push(...validateEmbeddedObjectMeta(image.metadata, 'image.metadata', false));
    if (!image.dockerImageReference && this.config.internalRegistryHostname && streamName) {
      // Upstream's PrepareForCreate, before validation: DockerImageReference{...}.Exact(), i.e.
      // `@<digest>`, `:<name>` for an image not named by one, nothing for a nameless image.
      image.dockerImageReference = exactReference({ registry: this.config.internalRegistryHostname, namespace, name: streamName, tag: '', id: image.metadata.name ?? '' });
    }
    errors.push(...validateImage(image, 'image.'));
    if (errors.length) throw ApiError.invalid(refOf(this.info), streamName, errors);
    return { streamName, tag: m.tag!, image };
  }

  /** Records the mapping in its own transaction; also the entry point for registry ingestion. */
  /** `cause`: what the tag-change feed says moved the tag (`registry` for pushes the registry reported). */
  async map(namespace: string, body: unknown, options: WriteOptions, cause = 'mapping'): Promise<MappingOutcome> {
    const { streamName, tag, image, registryCheck, imageRefusal } = this.prepare(namespace, body);
    // LimitRange admission, before anything is written (no query in a namespace without LimitRanges).
    // With openshift.io/ImageStream limits the new image is counted under the stream's lock (apply).
    const streamLimits = (await this.limits?.admitMapping(this.db, namespace, streamName, image.dockerImageMetadata?.Size)) ?? null;
    if (!options.dryRun && !streamLimits && !registryCheck && !imageRefusal && image.metadata.annotations?.[managedAnnotation] !== 'true') {
      const outcome = await this.applyInOneTrip(namespace, streamName, tag, image, cause);
      if (outcome) return outcome;
    }
    return this.db.transaction((tx) => this.apply(tx, namespace, streamName, tag, image, cause, streamLimits, registryCheck, imageRefusal), {
      rollback: options.dryRun,
    });
  }

  /**
   * Records the mapping inside the caller's transaction (registry ingestion, which already holds
   * its ordering locks there): the stream is locked and read in one round trip, and the writes
   * are registered to run with the caller's COMMIT (or its next flush).
   */
  async mapWithin(tx: Transaction, namespace: string, body: unknown, cause = 'mapping'): Promise<MappingOutcome> {
    const { streamName, tag, image, registryCheck, imageRefusal } = this.prepare(namespace, body);
    const streamLimits = (await this.limits?.admitMapping(tx, namespace, streamName, image.dockerImageMetadata?.Size)) ?? null;
    return this.apply(tx, namespace, streamName, tag, image, cause, streamLimits, registryCheck, imageRefusal);
  }

  private prepare(namespace: string, body: unknown): { streamName: string; tag: string; image: Image; registryCheck: boolean; imageRefusal: ApiError | null } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('the request body must be a JSON object');
    const mapping = structuredClone(body) as ImageStreamMapping;
    // The decoder's check, as for every write: a mapping body of another kind or version is 400
    // (the embedded image's own type fields are not checked, as Go decodes it into a struct).
    checkKindAndVersion(mapping, this.info.kind, apiVersionOf(this.info));
    checkNamespaceOnCreate(mapping.metadata?.namespace, namespace);
    // rest.BeforeCreate names it with the mapping strategy's SimpleNameGenerator (the stream it
    // then looks up is the generated name, so such a mapping finds no stream: 404).
    const generate = mapping.metadata?.generateName;
    if (mapping.metadata && !mapping.metadata.name && typeof generate === 'string' && generate) mapping.metadata.name = generateName(generate);
    // Upstream's mapping strategy drops the signatures (they are added through images or
    // imagesignatures) in PrepareForCreate, before validation: bad ones are not an error here.
    if (mapping.image && typeof mapping.image === 'object') delete mapping.image.signatures;
    const { streamName, tag, image } = this.validate(namespace, mapping);
    // The embedded Image is stored as every Image is (the generic store drops type fields):
    // a list of images then shows no kind/apiVersion on any item, as kube-apiserver's lists.
    delete image.kind;
    delete image.apiVersion;
    // What a client may set on an Image's metadata is kept, as the image store keeps it upstream;
    // the system fields are the server's.
    const { name, labels, annotations, finalizers, generation } = image.metadata;
    const ownerReferences = (image.metadata as Record<string, unknown>)['ownerReferences'];
    image.metadata = {
      name,
      labels,
      annotations,
      ...(generation ? { generation } : {}),
      ...(finalizers?.length ? { finalizers } : {}),
      ...(Array.isArray(ownerReferences) && ownerReferences.length ? { ownerReferences } : {}),
      uid: randomUUID(),
      creationTimestamp: nowTimestamp(),
    };
    this.imageStrategy.prepareForCreate(image);
    // Upstream then creates the Image through its store, whose strategy validates what
    // PrepareForCreate derived (a list's children, say): a 422 for the Image, raised once the
    // stream is known to exist, as upstream looks the stream up first.
    const imageErrors = this.imageStrategy.validate(image);
    const imageRefusal = imageErrors.length ? ApiError.invalid(refOf(imagesInfo), image.metadata.name!, imageErrors) : null;
    this.imageStrategy.canonicalize(image);
    // allowedRegistriesForImport, the mapping path's only cost for it: none without a list; with one,
    // a reference that is not plainly allowed is checked against the stream in apply.
    const allow = this.config.allowedRegistries;
    const registryCheck = allow ? !allowedEitherWay(allow, image.dockerImageReference ?? '') : false;
    return { streamName, tag, image, registryCheck, imageRefusal };
  }

  /**
   * The common case in one round trip (see oneTripMappingStatement), in a transaction shared with
   * the mappings that arrive meanwhile (OneTripGroupCommit): same effects as apply, for an image
   * whose reference is kept as sent. Null when the statement declined (the stream may have
   * aliases of the tag): nothing was written, and apply must run.
   */
  private async applyInOneTrip(namespace: string, streamName: string, tag: string, image: Image, cause: string): Promise<MappingOutcome | null> {
    const result = await this.oneTrip.run({ namespace, stream: streamName, tag, image, created: nowTimestamp(), cause });
    if (result.state === 'missing') throw ApiError.notFound(refOf(this.info), streamName);
    if (result.state === 'declined') return null;
    return { imageCreated: result.imageCreated, tagChanged: result.tagChanged, movedTags: result.tagChanged ? [tag] : [] };
  }

  private async apply(
    tx: Transaction,
    namespace: string,
    streamName: string,
    tag: string,
    image: Image,
    cause: string,
    streamLimits: StreamLimits | null = null,
    registryCheck = false,
    imageRefusal: ApiError | null = null,
  ): Promise<MappingOutcome> {
    const imageName = image.metadata.name!;
    // One round trip: open the transaction, lock the stream, then (a statement of its own, so that
    // it reads after the lock is held) probe the image and the tag's newest event.
    const [streamRows, probeRows] = await tx.batch([
      this.streams.getStatement(namespace, streamName, true),
      {
        text: `SELECT EXISTS (SELECT 1 FROM images WHERE name = $1::text) AS image_present, top.*
                 FROM (SELECT) AS one LEFT JOIN LATERAL (${this.history.topEventQuery(2)}) AS top ON true`,
        values: [imageName, namespace, streamName, tag],
      },
    ]);
    const stream = this.streams.hydrateRows(streamRows!);
    if (!stream) throw ApiError.notFound(refOf(this.info), streamName);
    if (imageRefusal) throw imageRefusal;
    const probe = probeRows![0]!;
    const existing = probe['image_present'] === true;
    let reference = image.dockerImageReference;
    if (existing && image.metadata.annotations?.[managedAnnotation] === 'true') {
      const repo = dockerImageRepositoryOf(stream, this.config);
      if (repo) reference = pullSpecInRepository(repo, imageName) ?? reference;
    }
    const event: TagEvent = {
      created: nowTimestamp(),
      dockerImageReference: reference,
      image: imageName,
      generation: stream.metadata.generation ?? 1,
    };
    const uid = stream.metadata.uid!;
    const origin = { namespace, stream: streamName, cause };
    const tagStatement = this.history.addStatement(uid, tag, event, this.history.currentFromRow(probe['id'] === null ? undefined : probe), origin);
    const tagChanged = tagStatement !== null;
    if (tagChanged && (registryCheck || (this.config.allowedRegistries && reference !== image.dockerImageReference))) {
      await this.admitNewReference(tx, stream, [tag, ...aliasesOf(stream, tag)], event);
    }
    // A new image in the stream's history is checked against openshift.io/ImageStream limits (the status strategy's verifier upstream).
    if (tagChanged && streamLimits) await this.limits!.streams.admitNewImage(tx, stream, streamLimits, imageName);
    const movedTags = tagChanged ? [tag] : [];
    if (tagStatement) tx.finishWith(tagStatement);
    const aliases = tagChanged ? aliasesOf(stream, tag) : [];
    if (aliases.length) {
      const tops = await this.history.current(tx, uid, aliases);
      for (const alias of aliases) {
        const statement = this.history.addStatement(uid, alias, event, tops.get(alias), { ...origin, cause: 'alias' });
        if (statement) {
          tx.finishWith(statement);
          movedTags.push(alias);
        }
      }
    }
    const writes: VersionedWrite[] = [];
    if (!existing) {
      // A concurrent mapping of the same digest may insert it first: then ours is a no-op.
      writes.push({
        rowSql: (rv, param) => `INSERT INTO images (name, uid, resource_version, create_rv, labels, body)
          VALUES (${param(imageName, 'text')}, ${param(image.metadata.uid!, 'uuid')}, ${rv}, ${rv},
                  ${param(jsonValue(image.metadata.labels ?? {}), 'jsonb')}, ${param(jsonValue(image), 'jsonb')})
          ON CONFLICT (name) DO NOTHING`,
        change: {
          resource: imagesInfo.resource,
          namespace: '',
          name: imageName,
          type: 'ADDED',
          labels: image.metadata.labels ?? {},
          prevLabels: null,
        },
        objectFromRowBody: true,
      });
    }
    if (tagChanged) {
      writes.push({
        rowSql: (rv, param) => `UPDATE image_streams SET resource_version = ${rv}
          WHERE namespace = ${param(namespace, 'text')} AND name = ${param(streamName, 'text')}`,
        change: {
          resource: 'imagestreams',
          namespace,
          name: streamName,
          type: 'MODIFIED',
          labels: stream.metadata.labels ?? {},
          prevLabels: stream.metadata.labels ?? {},
          snapshotMarkSql: tagHistoryMarkSql,
        },
        // Only the version changes: the row's body is the stream as it was read.
        objectFromRowBody: true,
      });
    }
    finishWithVersionedWrites(tx, writes);
    return { imageCreated: !existing, tagChanged, movedTags };
  }

  /**
   * A new status reference on a registry the list does not plainly allow (upstream: the status
   * strategy's ValidateImageStreamStatusUpdateWithWhitelister): allowed when the stream's history
   * already holds it, or when the stream or tag marks it insecure and it is allowed so; else 422 at
   * each item that would hold it. Reads the stream's whole history, but only on this rare path.
   */
  private async admitNewReference(tx: Transaction, stream: ImageStream, tags: string[], event: TagEvent): Promise<void> {
    const uid = stream.metadata.uid!;
    const old = (await this.history.statusOf(tx, [uid])).get(uid) ?? [];
    const next = tags.map((t) => ({ tag: t, items: [event] }));
    const errors = statusReferenceRefusals(this.config.allowedRegistries!, stream, next, old);
    if (errors.length) throw ApiError.invalid(refOf(imageStreamsInfo), stream.metadata.name!, errors);
  }
}
