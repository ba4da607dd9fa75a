import {
  ApiError,
  applyPatchDocument,
  type DeleteOptions,
  type ListOptions,
  type ListResult,
  type PatchType,
  refOf,
  successStatus,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import type { Database, Queryable, ResourceHandler } from '@app/persistence';
import type { ImageStream, NamedTagEventList, TagReference } from '../imagestream/imagestream.types';
import { imageTagsInfo } from '../resources/resource-infos';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import { deleteStreamTag } from '../tag-views/delete-stream-tag';
import { defaultedSpecTag, newStreamWith, withoutSpecTag, withSpecTag } from '../tag-views/spec-tags';
import { listStreamTagViews, listStreamTagViewsAt } from '../tag-views/stream-tag-pages';
import { nameForCreate, parseNewStreamTagName, parseStreamTagName, tagForCreate } from '../tag-views/stream-tag-names';
import type { StreamTagStore } from '../tag-views/stream-tag-store';
import { decodeViewBody, objectOrNull, viewApplier } from '../tag-views/view-body';
import { normalizeUpdateMeta } from '../tag-views/view-meta';
import type { ImageTag } from './imagetag.types';
import { validateImageTag, validateImageTagUpdate } from './imagetag.validation';
import { imageTagView } from './imagetag.view';

/** The requested spec (defaulted; on create an empty name becomes the tag's), or null. */
function specOf(itag: ImageTag, tag: string, creating: boolean, defaultImportMode: string): TagReference | null {
  const spec = objectOrNull<TagReference>(itag.spec, 'spec');
  return spec ? defaultedSpecTag(spec, tag, defaultImportMode, creating) : null;
}

/**
 * `imagetags` (openshift-apiserver registry/imagetag/rest.go): a stream tag's spec, history and
 * current image. Unlike istag it also shows spec-only tags, writes only `spec`, and a null
 * `spec` removes the spec tag (history kept).
 */
export class ImageTagHandler implements ResourceHandler {
  readonly info = imageTagsInfo;
  private readonly ref = refOf(imageTagsInfo);

  constructor(
    private readonly db: Database,
    private readonly tags: StreamTagStore,
    private readonly history: TagHistoryRepository,
  ) {}

  /** 200 when the tag is in spec or status (image null when there is none); else 404. */
  async get(namespace: string, name: string): Promise<ImageTag> {
    const { stream: streamName, tag } = parseStreamTagName(name, 'ImageTags');
    const stream = await this.tags.stream(this.db, namespace, streamName);
    if (!stream) throw ApiError.notFound(this.ref, streamName);
    const view = imageTagView(await this.tags.tagSource(this.db, stream, tag, { history: true, image: true }), false);
    if (!view) throw ApiError.notFound(this.ref, name);
    return view;
  }

  /** Every spec or status tag of every stream in scope, by stream then tag, paged (listStreamTagViews); `image` is null. */
  async list(options: ListOptions): Promise<ListResult<ImageTag>> {
    // A stream with its status filled in (as it was at a version): its views.
    const itemsFrom = (stream: ImageStream): ImageTag[] => this.itemsOf(stream, new Map((stream.status?.tags ?? []).map((t) => [t.tag, t])));
    if (options.exactResourceVersion !== undefined) return listStreamTagViewsAt(this.tags.streams, options, itemsFrom);
    return listStreamTagViews(this.db, this.tags.streams, options, {
      itemsFrom,
      itemsOf: async (tx, streams) => {
        const statuses = await this.history.statusOf(tx, streams.map((s) => s.metadata.uid!));
        return streams.map((stream) => this.itemsOf(stream, new Map((statuses.get(stream.metadata.uid!) ?? []).map((t) => [t.tag, t]))));
      },
      countOf: (tx, uids) => this.tags.queries.countSpecOrStatusTags(tx, uids),
    });
  }

  /** A stream's list items: every tag in spec or status (by tag name), `image` null. */
  private itemsOf(stream: ImageStream, status: Map<string, NamedTagEventList>): ImageTag[] {
    const names = new Set([...(stream.spec.tags ?? []).map((t) => t.name), ...status.keys()]);
    const items: ImageTag[] = [];
    for (const tag of [...names].sort()) {
      const st = status.get(tag);
      const view = imageTagView({ stream, tag, history: st?.items ?? [], conditions: st?.conditions, inStatus: st !== undefined, repository: this.tags.repository(stream) }, false);
      if (!view) continue;
      const { kind: _k, apiVersion: _a, ...item } = view;
      items.push(item);
    }
    return items;
  }

  /** Adds a spec tag (creating the stream when missing); `spec` is required; 409 when it exists. */
  async create(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const itag = decodeViewBody<ImageTag>(body, this.info.kind, namespace);
    const name = nameForCreate(itag.metadata);
    itag.metadata.name = name;
    // Validation comes first, as upstream's BeforeCreate runs before the name is split: a name
    // without a tag fails `spec.name` (or `spec` when there is none), never reaching the split.
    const spec = specOf(itag, tagForCreate(name), true, this.tags.defaultImportMode);
    const errors = validateImageTag({ ...itag, spec, status: null, image: null }, this.tags.allowedRegistries);
    if (errors.length) throw ApiError.invalid(this.ref, name, errors);
    const { stream: streamName, tag } = parseNewStreamTagName(name);
    const result = await this.tags.write(
      namespace,
      streamName,
      this.ref,
      'create',
      {
        onMissing: () => newStreamWith(namespace, streamName, spec),
        onExisting: async (current) => {
          if (current.spec.tags?.some((t) => t.name === tag)) throw ApiError.alreadyExists(this.ref, name);
          return { next: withSpecTag(current, spec!) };
        },
        respond: (q, stream) => this.answer(q, stream, tag),
      },
      options,
      name,
    );
    return { code: 201, body: result };
  }

  async update(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const requested = decodeViewBody<ImageTag>(body, this.info.kind, namespace, name);
    // A copy per run: the write fills the view in from the stored tag, and its transaction (or the
    // stream's create-or-update loop) may run again against a tag that changed meanwhile.
    return this.write(namespace, name, () => structuredClone(requested), options);
  }

  async patch(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.write(
      namespace,
      name,
      (current) => decodeViewBody<ImageTag>(applyPatchDocument(type, current, patch, this.info.mergeKeys, viewApplier(this.info, options)), this.info.kind, namespace, name),
      options,
    );
  }

  /**
   * PUT semantics (upstream imagetag Update): blind PUT allowed, a stale resourceVersion is 409,
   * a missing stream is created; only `spec` may change and `spec: null` removes the spec tag.
   * 201 when the spec tag did not exist before, else 200.
   */
  private async write(namespace: string, name: string, build: (current: ImageTag) => ImageTag, options: WriteOptions): Promise<WriteResult> {
    const { stream: streamName, tag } = parseStreamTagName(name, 'ImageTags');
    let existed = false;
    const result = await this.tags.write(
      namespace,
      streamName,
      this.ref,
      'update',
      {
        onMissing: () => {
          const empty = newStreamWith(namespace, streamName, null);
          const next = build(imageTagView({ stream: empty, tag, repository: '' }, true)!);
          if (next.metadata.resourceVersion) throw ApiError.notFound(this.ref, name);
          // A PUT that creates the stream takes the create path, which names the spec.
          const spec = specOf(next, tag, true, this.tags.defaultImportMode);
          const errors = validateImageTag({ ...next, spec, status: null, image: null }, this.tags.allowedRegistries);
          if (errors.length) throw ApiError.invalid(this.ref, name, errors);
          existed = false;
          return newStreamWith(namespace, streamName, spec);
        },
        onExisting: async (current, tx) => {
          const old = imageTagView(await this.tags.tagSource(tx, current, tag, { history: true }), true)!;
          const next = build(structuredClone(old));
          const spec = specOf(next, tag, false, this.tags.defaultImportMode);
          if (next.metadata.resourceVersion && next.metadata.resourceVersion !== current.metadata.resourceVersion) {
            throw ApiError.conflict(this.ref, name, `another caller has updated the resource version to ${current.metadata.resourceVersion}`);
          }
          next.metadata = normalizeUpdateMeta(next.metadata, old.metadata);
          const errors = validateImageTagUpdate({ ...next, spec }, old, this.tags.allowedRegistries);
          if (errors.length) throw ApiError.invalid(this.ref, name, errors);
          existed = current.spec.tags?.some((t) => t.name === tag) === true;
          return { next: spec ? withSpecTag(current, spec) : withoutSpecTag(current, tag) };
        },
        respond: (q, stream) => this.answer(q, stream, tag),
      },
      options,
      name,
    );
    return { code: existed ? 200 : 201, body: result };
  }

  private async answer(q: Queryable | null, stream: ImageStream, tag: string): Promise<ImageTag> {
    return imageTagView(await this.tags.tagSource(q ?? this.db, stream, tag, { history: true, image: true }), true)!;
  }

  async delete(namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    const { stream: streamName, tag } = parseStreamTagName(name, 'ImageTags');
    await deleteStreamTag(this.tags, this.history, this.ref, namespace, streamName, tag, name, options);
    return { code: 200, body: successStatus() };
  }
}
