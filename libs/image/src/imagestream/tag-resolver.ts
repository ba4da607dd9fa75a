import { ApiError, type FieldError, fieldErr, nowTimestamp, refOf, type ResourceInfo } from '@app/api-machinery';
import { sourcePullRefusal } from '@app/config';
import type { Queryable, TableStorage } from '@app/persistence';
import type { ImageApiConfig } from '../image-config';
import { digestOrImageMatch, exactReference, parseDockerImageReferenceOrNull } from '../reference/docker-reference';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import type { ImageStream, TagEvent, TagReference } from './imagestream.types';
import { aliasesOf } from './tag-aliases';
import { changedTags, sourceChangedTags } from './tag-changes';
import { TAG_SOURCE_FORM, tagSourceFailure, tagSourceFormErrors } from './tag-source-errors';

/**
 * A pull spec of the source stream in the internal registry, moved to this stream (same digest
 * or tag), so that pulls go through it; any other reference as it is (upstream tagsChanged).
 */
function pullThroughThisStream(spec: string, internal: string, srcNs: string, srcName: string, ns: string, name: string): string {
  const ref = parseDockerImageReferenceOrNull(spec);
  if (!ref) return spec;
  if (ref.registry !== internal || ref.namespace !== srcNs || ref.name !== srcName) return spec;
  return exactReference({ ...ref, namespace: ns, name });
}

/**
 * openshift strategy.go TagVerifier: the caller must be allowed to pull (`get imagestreams/layers`)
 * each stream of another namespace that a new or changed spec tag names in `from.namespace`, one
 * question per stream; each tag from a refused stream gets a Forbidden error worded as upstream's
 * (`<ns>/<stream>: "<reason>" "<evaluationError>"`). Server-made writes have no caller: unchecked.
 * A source of another kind in another namespace is Invalid (the verifier cannot parse it).
 */
function sourcePullRefusals(stream: ImageStream, changed: TagReference[]): FieldError[] {
  const tagsBySource = new Map<string, { namespace: string; name: string; tags: string[] }>();
  const errors: FieldError[] = [];
  for (const tag of changed) {
    const from = tag.from;
    if (!from?.namespace || from.namespace === stream.metadata.namespace) continue;
    // Another namespace can only hold a stream: a DockerImage (or other) source naming one is
    // refused as upstream's parseFromReference refuses it there, before any pull question.
    if (from.kind !== 'ImageStreamTag' && from.kind !== 'ImageStreamImage') {
      errors.push(fieldErr.invalid(`spec.tags[${tag.name}].from.name`, from.name ?? '', TAG_SOURCE_FORM));
      continue;
    }
    const parts = (from.name ?? '').split(from.kind === 'ImageStreamTag' ? ':' : '@');
    // A bare tag or id names a stream of this stream's name in the other namespace (parseFromReference).
    const name = parts.length === 2 ? parts[0]! : stream.metadata.name!;
    const key = `${from.namespace}/${name}`;
    const entry = tagsBySource.get(key) ?? { namespace: from.namespace, name, tags: [] };
    entry.tags.push(tag.name);
    tagsBySource.set(key, entry);
  }
  for (const source of tagsBySource.values()) {
    const refusal = sourcePullRefusal(source.namespace, source.name);
    if (refusal) for (const tag of source.tags) errors.push(fieldErr.forbidden(`spec.tags[${tag}].from`, refusal));
  }
  return errors;
}

/**
 * New or changed spec tags of a write that validation may not have seen yet (admission runs
 * first on updates): only tags shaped as TagReferences (a string name, a from with a string name).
 */
function wellFormedChangedTags(stream: ImageStream, old: ImageStream | null): TagReference[] {
  if (!Array.isArray(stream.spec?.tags)) return [];
  const wellFormed = (t: TagReference) =>
    typeof t === 'object' && t !== null && typeof t.name === 'string' && (t.from === undefined || t.from === null || (typeof t.from === 'object' && typeof (t.from.name ?? '') === 'string'));
  return sourceChangedTags({ ...stream, spec: { ...stream.spec, tags: stream.spec.tags.filter(wellFormed) } }, old);
}

/**
 * Turns new or changed spec tags into history entries (openshift strategy.go tagsChanged):
 * `reference` DockerImage tags record their pull spec; ImageStreamTag/ImageStreamImage sources
 * copy the source's event at the moment the tag is set; aliases in the stream then follow.
 * Unresolvable references are 422 (one wrapped cause, tagSourceFailure) and roll the write back.
 */
export class TagResolver {
  constructor(
    private readonly info: ResourceInfo,
    private readonly streams: TableStorage<ImageStream>,
    private readonly history: TagHistoryRepository,
    private readonly config: ImageApiConfig,
  ) {}

  async resolve(tx: Queryable, stream: ImageStream, old: ImageStream | null): Promise<void> {
    const changed = sourceChangedTags(stream, old);
    const errors: FieldError[] = sourcePullRefusals(stream, changed);
    const moved: { tag: string; event: TagEvent }[] = [];
    const uid = stream.metadata.uid!;
    for (const tag of changed) {
      if (!tag.from?.name) continue;
      const event = await this.eventFor(tx, stream, tag, errors);
      if (!event) continue;
      if (await this.moveOrReassert(tx, uid, tag.name, event, this.origin(stream, 'spec'))) moved.push({ tag: tag.name, event });
    }
    if (errors.length) {
      const name = stream.metadata.name ?? '';
      throw ApiError.invalid(refOf(this.info), name, [tagSourceFailure(name, errors)]);
    }
    // `generation: 0` on a tag whose source did not change: upstream gives the spec tag the new
    // generation but does not resolve it again (status unchanged, as here). When its source still
    // names the image the tag holds, the write re-points the tag at it: a from==to item, explicit.
    const changedNames = new Set(changed.map((t) => t.name));
    for (const tag of changedTags(stream, old)) {
      if (changedNames.has(tag.name) || !old || !tag.from?.name || tag.from.kind === 'DockerImage') continue;
      const event = await this.eventFor(tx, stream, tag, [], false);
      const current = event && (await this.history.current(tx, uid, [tag.name])).get(tag.name)?.event;
      if (!event || !current?.image || current.image !== event.image) continue;
      await this.history.reassert(tx, uid, tag.name, current, this.origin(stream, 'spec'));
      moved.push({ tag: tag.name, event: current });
    }
    // Aliases moved by a user's tag write are that write's doing too (cause `spec-alias`): for
    // trigger dependents an explicit move, so rolling `3.1` back rolls back what follows `latest`.
    // An alias already at the image is re-pointed with it (a from==to item), as its tag was.
    for (const { tag, event } of moved) await this.propagate(tx, stream, tag, event, 'spec-alias');
  }

  /**
   * The tag-source errors of a write that field validation refused too (upstream's strategy
   * checks sources in Validate, beside field validation, so one 422 carries both): the access
   * refusals, then per new or changed tag its form error or why its source does not resolve.
   * Reads only. Tags whose shape validation refused (no string name or from) are left out.
   */
  async sourceErrors(tx: Queryable, stream: ImageStream, old: ImageStream | null): Promise<FieldError[]> {
    const changed = wellFormedChangedTags(stream, old);
    const errors = sourcePullRefusals(stream, changed);
    for (const tag of changed) {
      const form = tagSourceFormErrors([tag]);
      if (form.length) {
        errors.push(...form);
        continue;
      }
      if (!tag.from?.name || tag.from.kind === 'DockerImage') continue;
      await this.eventFor(tx, stream, tag, errors, false);
    }
    return errors;
  }

  /**
   * The images a write's new or changed spec tags would copy into the stream's status (read
   * only; aliases copy nothing new), or null when a source does not resolve or has the wrong form
   * (resolve then refuses the write, as upstream's tagsChanged does before its limit verifier).
   * Upstream counts these images against `openshift.io/images` with the rest of the status.
   */
  async resolvedImages(tx: Queryable, stream: ImageStream, old: ImageStream | null): Promise<string[] | null> {
    const changed = wellFormedChangedTags(stream, old);
    const errors = [...sourcePullRefusals(stream, changed), ...tagSourceFormErrors(changed)];
    if (errors.length) return null;
    const images: string[] = [];
    for (const tag of changed) {
      if (!tag.from?.name) continue;
      const event = await this.eventFor(tx, stream, tag, errors, false);
      if (event?.image) images.push(event.image);
    }
    return errors.length ? null : images;
  }

  /** Adds `event`; a spec write leaving the tag's entry as it is still records the re-point (reassert). */
  private async moveOrReassert(tx: Queryable, uid: string, tag: string, event: TagEvent, origin: { namespace: string; stream: string; cause: string }): Promise<boolean> {
    const current = (await this.history.current(tx, uid, [tag])).get(tag);
    if (await this.history.add(tx, uid, tag, event, origin, current)) return true;
    if (!current?.event.image || current.event.image !== event.image) return false;
    await this.history.reassert(tx, uid, tag, current.event, origin);
    return true;
  }

  /** Moves every alias of `tag` to `event`; `cause` is the feed's (`alias` for a push's move, `spec-alias` for a spec write's). */
  async propagate(tx: Queryable, stream: ImageStream, tag: string, event: TagEvent, cause = 'alias'): Promise<string[]> {
    const changed: string[] = [];
    const uid = stream.metadata.uid!;
    for (const alias of aliasesOf(stream, tag)) {
      const origin = this.origin(stream, cause);
      const moved = cause === 'spec-alias' ? await this.moveOrReassert(tx, uid, alias, event, origin) : await this.history.add(tx, uid, alias, event, origin);
      if (moved) changed.push(alias);
    }
    return changed;
  }

  private origin(stream: ImageStream, cause: string) {
    return { namespace: stream.metadata.namespace!, stream: stream.metadata.name!, cause };
  }

  /**
   * The event a spec tag's source gives it. `resolving`: upstream resolves the source here
   * (tagReferenceToTagEvent), which stamps a same-stream source entry with the tag's generation;
   * a generation-0 re-point only reads which image the source names (upstream resolves nothing).
   */
  private async eventFor(tx: Queryable, stream: ImageStream, tag: TagReference, errors: FieldError[], resolving = true): Promise<TagEvent | null> {
    const from = tag.from!;
    const field = `spec.tags[${tag.name}].from`;
    const generation = tag.generation ?? stream.metadata.generation ?? 1;
    const ns = stream.metadata.namespace!;
    if (from.kind === 'DockerImage') {
      if (!tag.reference) return null; // imported asynchronously, not resolved on write
      return { created: nowTimestamp(), dockerImageReference: from.name!, image: '', generation };
    }
    const srcNs = from.namespace || ns;
    const separator = from.kind === 'ImageStreamTag' ? ':' : '@';
    const parts = from.name!.split(separator);
    const [srcName, ref] = parts.length === 2 ? [parts[0]!, parts[1]!] : [stream.metadata.name!, parts[0]!];
    const sameStream = srcNs === ns && srcName === stream.metadata.name;
    // `:tag` names a stream of no name: upstream's lookup fails before storage (the store's key
    // function refuses an empty name), which tagsChanged reports as Invalid, not NotFound.
    if (!srcName) {
      errors.push(fieldErr.invalid(`${field}.name`, from.name, 'unable to retrieve image stream: Name parameter required.'));
      return null;
    }
    const source = sameStream ? stream : await this.streams.get(tx, srcNs, srcName);
    if (!source) {
      errors.push(fieldErr.notFound(`${field}.name`, from.name));
      return null;
    }
    let event: TagEvent | undefined;
    if (from.kind === 'ImageStreamTag') {
      const srcTag = ref || 'latest';
      const top = (await this.history.current(tx, source.metadata.uid!, [srcTag])).get(srcTag);
      event = top?.event;
      if (!top || !event) return null; // the source tag has no image yet: nothing to copy
      // Upstream copies the source's newest entry through a pointer into the stream's own status
      // (LatestTaggedImage) and then sets the copy's generation: the source tag's entry takes the
      // new tag's generation too, and is saved with the stream. Only within one stream: another
      // stream read for the copy is not written.
      if (resolving && sameStream && Number(event.generation) !== generation) await this.history.setGeneration(tx, top.id, generation);
    } else {
      const matches = (await this.history.imagesMatching(tx, source.metadata.uid!, ref)).filter((img) => digestOrImageMatch(img, ref)).sort();
      // The wrapped errors are ResolveImageID's NotFound/Conflict, which name only the id.
      const failed = (why: string) => errors.push(fieldErr.invalid(`${field}.name`, from.name, `error generating tag event: ${why}`));
      if (matches.length === 0) {
        failed(`imagestreamimage.image.openshift.io "${ref}" not found`);
        return null;
      }
      if (matches.length > 1) {
        failed(`Operation cannot be fulfilled on imagestreamimage.image.openshift.io "${ref}": multiple images match the prefix "${ref}": ${matches.join(', ')}`);
        return null;
      }
      const [row] = await tx.query<{ docker_image_reference: string }>(
        `SELECT docker_image_reference FROM image_stream_tag_events WHERE stream_uid = $1 AND image = $2 ORDER BY id DESC LIMIT 1`,
        [source.metadata.uid, matches[0]],
      );
      event = { created: nowTimestamp(), dockerImageReference: row!.docker_image_reference, image: matches[0]!, generation };
    }
    const internal = this.config.internalRegistryHostname;
    const dockerImageReference = tag.reference || !internal ? event.dockerImageReference : pullThroughThisStream(event.dockerImageReference, internal, srcNs, srcName, ns, stream.metadata.name!);
    // An ImageStreamTag copy keeps the source event's time; an ImageStreamImage event is new (created now, above).
    return { ...event, dockerImageReference, generation };
  }
}
