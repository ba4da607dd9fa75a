import { ApiError, type ResourceRef, serverWriteOptions, type WriteOptions } from '@app/api-machinery';
import type { Database, GenericStore, Mutation, Queryable } from '@app/persistence';
import type { Image } from '../image/image.types';
import type { RegistryAllowList } from '../allowed-registries/registry-allow-list';
import type { ImageApiConfig } from '../image-config';
import { dockerImageRepositoryOf } from '../imagestream/imagestream-status';
import type { ImageStream } from '../imagestream/imagestream.types';
import { quotaRefusalFor, withStreamQuotaEvaluator } from '../quota/namespace-quota';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import type { StreamTagSource } from './stream-tag-source';
import type { TagViewQueries } from './tag-view.queries';

/** How a tag write changes the stream: a new stream when it is missing, or a mutation of the current one. */
export interface TagWritePlan<R> {
  /** The stream to create when it does not exist (throw to refuse). */
  onMissing(): ImageStream;
  /** Under the stream's row lock: the next stream (and out-of-row effects, e.g. dropped history). */
  onExisting(current: ImageStream, tx: Queryable): Promise<Mutation<ImageStream>>;
  /**
   * The answer. `q` is the write's transaction for updates; null after a create, whose `stream`
   * then carries its status.
   */
  respond(q: Queryable | null, stream: ImageStream, created: boolean): Promise<R>;
}

const maxAttempts = 10;

/**
 * Reads and writes of single stream tags for the virtual kinds (ImageStreamTag, ImageTag).
 * Reads touch one tag's newest history row (index probe) and the Image by primary key; writes
 * go through the ImageStream store (strategy, tag resolution, resourceVersion, change log: a
 * tag change is an ImageStream MODIFIED event).
 */
export class StreamTagStore {
  constructor(
    private readonly db: Database,
    readonly streams: GenericStore<ImageStream>,
    private readonly history: TagHistoryRepository,
    readonly queries: TagViewQueries,
    private readonly config: ImageApiConfig,
  ) {}

  /** importMode of a spec tag written through a view that names none. */
  get defaultImportMode(): string {
    return this.config.defaultImportMode;
  }

  /** allowedRegistriesForImport; null when every registry is allowed. */
  get allowedRegistries(): RegistryAllowList | null {
    return this.config.allowedRegistries ?? null;
  }

  repository(stream: ImageStream): string {
    return dockerImageRepositoryOf(stream, this.config);
  }

  /** The stored stream without its status (no history read), or null. */
  stream(q: Queryable, namespace: string, name: string): Promise<ImageStream | null> {
    return this.streams.storage.get(q, namespace, name);
  }

  get pool(): Queryable {
    return this.db;
  }

  /**
   * What one tag's view needs. From the stream's status when it carries one (answers of a
   * create), else from the history table: the newest entry only, or the tag's whole history
   * when `history` is asked for (ImageTag). `image` loads the newest entry's Image.
   */
  async tagSource(q: Queryable, stream: ImageStream, tag: string, want: { history?: boolean; image?: boolean } = {}): Promise<StreamTagSource> {
    const src: StreamTagSource = { stream, tag, repository: this.repository(stream) };
    if (stream.status) {
      const status = stream.status.tags?.find((t) => t.tag === tag);
      src.history = status?.items ?? [];
      src.event = src.history[0];
      src.conditions = status?.conditions;
      src.inStatus = status !== undefined;
    } else {
      const uid = stream.metadata.uid!;
      const [events, conditions] = await Promise.all([
        want.history ? this.queries.tagHistory(q, uid, tag) : this.history.current(q, uid, [tag]).then((m) => {
          const top = m.get(tag)?.event;
          return top ? [top] : [];
        }),
        this.queries.conditionsOf(q, uid, tag),
      ]);
      src.history = events;
      src.event = events[0];
      src.conditions = conditions?.length ? conditions : undefined;
      src.inStatus = conditions !== undefined;
    }
    if (!want.history) delete src.history;
    if (want.image && src.event?.image) src.image = await this.image(q, src.event.image);
    return src;
  }

  async image(q: Queryable, name: string): Promise<Image | null> {
    return (await this.queries.imagesByName(q, [name])).get(name) ?? null;
  }

  /**
   * Creates the stream when it is missing, otherwise mutates it under its row lock. A stream
   * created or deleted concurrently makes the attempt start over; after 10 attempts the answer
   * is 500 ServerTimeout, as upstream.
   */
  async write<R>(namespace: string, streamName: string, ref: ResourceRef, verb: string, plan: TagWritePlan<R>, options: WriteOptions, viewName?: string): Promise<R> {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const exists = await this.streams.storage.get(this.db, namespace, streamName);
      try {
        if (!exists) {
          // Upstream's imagestreamtags evaluator charges the stream; no evaluator does for an ImageTag.
          const evaluator = ref.resource === 'imagestreamtags' ? 'virtual' : 'none';
          const created = await withStreamQuotaEvaluator(evaluator, () => this.streams.create(namespace, plan.onMissing(), serverWriteOptions(options)));
          return await plan.respond(null, created.body as ImageStream, true);
        }
        return await this.streams.mutate(
          namespace,
          streamName,
          (current, tx) => plan.onExisting(current, tx),
          (tx, stored) => plan.respond(tx, stored, false),
          options,
        );
      } catch (e) {
        const race = e instanceof ApiError && e.details?.kind === 'imagestreams' && (e.reason === 'AlreadyExists' || e.reason === 'NotFound');
        // A quota refusal of the stream's create names the view the client wrote (upstream's imagestreamtags evaluator).
        if (!race) throw viewName === undefined ? e : quotaRefusalFor(e, { ref, name: viewName });
      }
    }
    throw ApiError.serverTimeout(ref, verb);
  }
}
