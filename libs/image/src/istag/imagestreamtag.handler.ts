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
import type { ImageStream, TagReference } from '../imagestream/imagestream.types';
import { imageStreamTagsInfo } from '../resources/resource-infos';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import { deleteStreamTag } from '../tag-views/delete-stream-tag';
import { defaultedSpecTag, newStreamWith, withSpecTag } from '../tag-views/spec-tags';
import { listStreamTagViews, listStreamTagViewsAt } from '../tag-views/stream-tag-pages';
import { nameForCreate, parseNewStreamTagName, parseStreamTagName, tagForCreate } from '../tag-views/stream-tag-names';
import type { StreamTagStore } from '../tag-views/stream-tag-store';
import type { TagWithImage } from '../tag-views/tag-view.queries';
import { decodeViewBody, objectOrNull, viewApplier } from '../tag-views/view-body';
import type { ImageStreamTag } from './imagestreamtag.types';
import { prepareImageStreamTagUpdate, validateImageStreamTag, validateImageStreamTagUpdate } from './imagestreamtag.validation';
import { imageStreamTagView } from './imagestreamtag.view';
import type { ImageStreamTagReadCache } from './imagestreamtag-read-cache';

/** A promise rejected with `e`, as an async function's throw rejects it. */
async function rejected(e: unknown): Promise<never> {
  throw e;
}

/**
 * The spec tag an istag body asks for, defaulted as the wire form always is. It is the tag the
 * istag's name says, whatever `tag.name` the body carries: upstream keys spec tags by that name.
 */
function specTagOf(ist: ImageStreamTag, tag: string, defaultImportMode: string): TagReference | null {
  const requested = objectOrNull<TagReference>(ist.tag, 'tag');
  return requested ? defaultedSpecTag({ ...requested, name: tag }, tag, defaultImportMode) : null;
}

/**
 * `imagestreamtags` (openshift-apiserver registry/imagestreamtag/rest.go): a view of one tag of
 * a stream, `<stream>:<tag>`, with the image it points at. Writes change the stream's spec tag
 * through the ImageStream store; delete also drops the tag's history. No watch: clients watch
 * imagestreams.
 */
export class ImageStreamTagHandler implements ResourceHandler {
  readonly info = imageStreamTagsInfo;
  private readonly ref = refOf(imageStreamTagsInfo);

  constructor(
    private readonly db: Database,
    private readonly tags: StreamTagStore,
    private readonly history: TagHistoryRepository,
    private readonly cache?: ImageStreamTagReadCache,
  ) {
    cache?.reloadWith((wanted) => this.loadMany(wanted));
  }

  /** Not async: a cached GET's promise is the read cache's own (one fewer promise chain per GET). */
  get(namespace: string, name: string): Promise<ImageStreamTag> {
    let parsed: { stream: string; tag: string };
    try {
      parsed = parseStreamTagName(name, 'ImageStreamTags');
    } catch (e) {
      return rejected(e);
    }
    const { stream: streamName, tag } = parsed;
    const load = () => this.load(namespace, streamName, tag, name);
    return this.cache ? this.cache.read(namespace, streamName, name, load) : load();
  }

  private async load(namespace: string, streamName: string, tag: string, name: string): Promise<ImageStreamTag> {
    // One round trip: stream, the tag's newest entry, its conditions and the Image.
    return this.viewOf(await this.tags.queries.tagWithImage(this.db, namespace, streamName, tag), streamName, tag, name);
  }

  /** Many views in one round trip, as `load` builds them; undefined where `load` would throw. */
  private async loadMany(wanted: { namespace: string; stream: string; name: string }[]): Promise<(ImageStreamTag | undefined)[]> {
    const tags = wanted.map((w) => parseStreamTagName(w.name, 'ImageStreamTags').tag);
    const reads = await this.tags.queries.tagsWithImages(
      this.db,
      wanted.map((w, i) => ({ namespace: w.namespace, stream: w.stream, tag: tags[i]! })),
    );
    return reads.map((read, i) => {
      try {
        return this.viewOf(read, wanted[i]!.stream, tags[i]!, wanted[i]!.name);
      } catch {
        return undefined;
      }
    });
  }

  private viewOf(read: TagWithImage, streamName: string, tag: string, name: string): ImageStreamTag {
    if (!read.stream) throw ApiError.notFound(this.ref, streamName);
    if (!read.event?.image) throw ApiError.notFound(this.ref, name);
    // Upstream reads the Image through the images store with the request's context, and a store
    // names the requested resource in its NotFound: `imagestreamtags "<image>" not found`.
    if (!read.image) throw ApiError.notFound(this.ref, read.event.image);
    const src = {
      stream: read.stream,
      tag,
      repository: this.tags.repository(read.stream),
      event: read.event,
      conditions: read.conditions,
      image: read.image,
    };
    return imageStreamTagView(src, false)!;
  }

  /**
   * Every tag with a current image, in every stream in scope (spec-only tags are left out),
   * sorted by stream then tag, paged with limit/continue (listStreamTagViews). Images are not
   * loaded: `image` carries the digest and pull spec.
   */
  async list(options: ListOptions): Promise<ListResult<ImageStreamTag>> {
    // A stream with its status filled in (as it was at a version): its views.
    const itemsFrom = (stream: ImageStream): ImageStreamTag[] =>
      (stream.status?.tags ?? [])
        .map((st) => ({ st, tag: st.tag }))
        .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
        .flatMap(({ st, tag }) => {
          const view = imageStreamTagView({ stream, tag, event: st.items?.[0], conditions: st.conditions, repository: this.tags.repository(stream) }, false);
          if (!view) return [];
          const { kind: _k, apiVersion: _a, ...item } = view;
          return [item];
        });
    if (options.exactResourceVersion !== undefined) return listStreamTagViewsAt(this.tags.streams, options, itemsFrom);
    return listStreamTagViews(this.db, this.tags.streams, options, {
      itemsFrom,
      itemsOf: async (tx, streams) => {
        const uids = streams.map((s) => s.metadata.uid!);
        const [tops, conditions] = await Promise.all([this.tags.queries.topEventsOf(tx, uids), this.tags.queries.conditionsOfStreams(tx, uids)]);
        return streams.map((stream) => {
          const events = tops.get(stream.metadata.uid!);
          const items: ImageStreamTag[] = [];
          for (const tag of [...(events?.keys() ?? [])].sort()) {
            const view = imageStreamTagView(
              { stream, tag, event: events!.get(tag), conditions: conditions.get(stream.metadata.uid!)?.get(tag), repository: this.tags.repository(stream) },
              false,
            );
            if (!view) continue;
            const { kind: _k, apiVersion: _a, ...item } = view;
            items.push(item);
          }
          return items;
        });
      },
      countOf: (tx, uids) => this.tags.queries.countTagsWithImage(tx, uids),
    });
  }

  /** Adds a spec tag (creating the stream when missing); 409 when the spec tag exists. */
  async create(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const ist = decodeViewBody<ImageStreamTag>(body, this.info.kind, namespace);
    const name = nameForCreate(ist.metadata);
    ist.metadata.name = name;
    // Validation comes first, as upstream's BeforeCreate runs before the name is split.
    const specTag = specTagOf(ist, tagForCreate(name), this.tags.defaultImportMode);
    const errors = validateImageStreamTag({ ...ist, tag: specTag }, this.tags.allowedRegistries);
    if (errors.length) throw ApiError.invalid(this.ref, name, errors);
    const { stream: streamName, tag } = parseNewStreamTagName(name);
    const result = await this.tags.write(
      namespace,
      streamName,
      this.ref,
      'create',
      {
        onMissing: () => newStreamWith(namespace, streamName, specTag),
        onExisting: async (current) => {
          // Upstream names the resource in the singular here (`imagestreamtag.image.openshift.io "<name>" already exists`).
          if (current.spec.tags?.some((t) => t.name === tag)) throw ApiError.alreadyExists({ ...this.ref, resource: 'imagestreamtag' }, name);
          return { next: specTag ? withSpecTag(current, specTag) : current };
        },
        respond: (q, stream) => this.answer(q, stream, tag),
      },
      options,
      name,
    );
    return { code: 201, body: result };
  }

  async update(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const requested = decodeViewBody<ImageStreamTag>(body, this.info.kind, namespace, name);
    // A copy per run: the write fills the view in from the stored tag, and its transaction (or the
    // stream's create-or-update loop) may run again against a tag that changed meanwhile.
    return this.write(namespace, name, () => structuredClone(requested), options);
  }

  /** Patches the current view (an empty one for a spec-only or missing tag), then updates as PUT does. */
  async patch(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.write(
      namespace,
      name,
      (current) => decodeViewBody<ImageStreamTag>(applyPatchDocument(type, current, patch, this.info.mergeKeys, viewApplier(this.info, options)), this.info.kind, namespace, name),
      options,
    );
  }

  /**
   * PUT semantics (upstream imagestreamtag Update): blind PUT allowed (no resourceVersion means
   * the stream's current one), a stale one is 409; a missing stream is created (unless a
   * resourceVersion was given: 404). Only `tag` and annotations may change; the spec tag becomes
   * the request's `tag` with the object's annotations. 201 when the spec tag is new, else 200.
   */
  private async write(namespace: string, name: string, build: (current: ImageStreamTag) => ImageStreamTag, options: WriteOptions): Promise<WriteResult> {
    const { stream: streamName, tag } = parseStreamTagName(name, 'ImageStreamTags');
    let existed = false;
    const result = await this.tags.write(
      namespace,
      streamName,
      this.ref,
      'update',
      {
        onMissing: () => {
          const empty = newStreamWith(namespace, streamName, null);
          const old = imageStreamTagView({ stream: empty, tag, repository: '' }, true)!;
          const next = build(structuredClone(old));
          if (next.metadata.resourceVersion) throw ApiError.notFound(this.ref, name);
          const specTag = this.checkUpdate(next, null, tag, `${namespace}/${streamName}`, false);
          existed = false;
          return newStreamWith(namespace, streamName, specTag);
        },
        onExisting: async (current, tx) => {
          const src = await this.tags.tagSource(tx, current, tag);
          const old = imageStreamTagView(src, true)!;
          const next = build(structuredClone(old));
          next.tag = objectOrNull<TagReference>(next.tag, 'tag');
          if (next.metadata.resourceVersion && next.metadata.resourceVersion !== current.metadata.resourceVersion) {
            throw ApiError.conflict(this.ref, name, `another caller has updated the resource version to ${current.metadata.resourceVersion}`);
          }
          const existing = current.spec.tags?.find((t) => t.name === tag) ?? null;
          existed = existing !== null;
          prepareImageStreamTagUpdate(next, old);
          const specTag = this.checkUpdate(next, old, tag, `${namespace}/${streamName}`, existed, existing);
          return { next: withSpecTag(current, specTag) };
        },
        respond: (q, stream) => this.answer(q, stream, tag),
      },
      options,
      name,
    );
    return { code: existed ? 200 : 201, body: result };
  }

  /** Validates the requested view and returns the spec tag to store. */
  private checkUpdate(
    next: ImageStreamTag,
    old: ImageStreamTag | null,
    tag: string,
    streamKey: string,
    existed: boolean,
    existing: TagReference | null = null,
  ): TagReference {
    const name = next.metadata.name ?? '';
    const requestedTag = specTagOf(next, tag, this.tags.defaultImportMode);
    next.tag = requestedTag;
    const allow = this.tags.allowedRegistries;
    const errors = old ? validateImageStreamTagUpdate(next, old, allow) : validateImageStreamTag(next, allow);
    if (errors.length) throw ApiError.invalid(this.ref, name, errors);
    if (!existed && !requestedTag) {
      throw ApiError.badRequest(`imagestreamtag ${tag} is not a spec tag in imagestream ${streamKey}, cannot be updated`);
    }
    const specTag = structuredClone(requestedTag ?? existing!);
    specTag.name = tag;
    specTag.annotations = next.metadata.annotations && Object.keys(next.metadata.annotations).length ? { ...next.metadata.annotations } : null;
    return specTag;
  }

  /** The istag after a write; the image may be empty when nothing is tagged yet. */
  private async answer(q: Queryable | null, stream: ImageStream, tag: string): Promise<ImageStreamTag> {
    const src = await this.tags.tagSource(q ?? this.db, stream, tag, { image: true });
    return imageStreamTagView(src, true)!;
  }

  /** Removes the spec tag and the tag's whole history (Images stay); 404 when neither exists. */
  async delete(namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    const { stream: streamName, tag } = parseStreamTagName(name, 'ImageStreamTags');
    await deleteStreamTag(this.tags, this.history, this.ref, namespace, streamName, tag, name, options);
    return { code: 200, body: successStatus() };
  }
}
