import { ApiError, jsonEqual, nowTimestamp, type WriteOptions } from '@app/api-machinery';
import type { Database, GenericStore, Mutation, Queryable } from '@app/persistence';
import { defaultTagReference } from '../imagestream/imagestream.defaults';
import type { ImageStream, TagEvent, TagEventCondition, TagImportPolicy, TagReference, TagReferencePolicy } from '../imagestream/imagestream.types';
import { aliasesOf } from '../imagestream/tag-aliases';
import { exactReference, parseDockerImageReference } from '../reference/docker-reference';
import { imageStreamsInfo } from '../resources/resource-infos';
import type { CurrentEvent, TagHistoryRepository } from '../tag-history/tag-history.repository';
import { hasSameCondition, importFailedCondition, observedGeneration } from './import-status';
import type { ImageImportStatus } from './imagestreamimport.types';

export const dockerRepositoryCheckAnnotation = 'openshift.io/image.dockerRepositoryCheck';

/** One tag an import writes into the stream: the result of its lookup and where it came from. */
export interface TagImport {
  tag: string;
  /** DockerImage pull spec recorded in the spec tag (`<repo>:<tag>` for repository imports). */
  from: string;
  importPolicy: TagImportPolicy;
  referencePolicy: TagReferencePolicy;
  result: ImageImportStatus;
  /** A failed spec.images entry still gets its spec tag (upstream); a failed repository tag does not. */
  specTagOnFailure: boolean;
}

export interface WritePreconditions {
  resourceVersion?: string;
  uid?: string;
  /** Under the stream's row lock, before anything is written: throw to abort (the spec moved on). */
  guard?: (current: ImageStream) => void;
}

const streamRef = { group: imageStreamsInfo.group, resource: 'imagestream', kind: imageStreamsInfo.kind };
const maxAttempts = 10;

/** `ref` with the image's digest and no tag (openshift mostAccuratePullSpec); unparsable refs stay as they are. */
function mostSpecific(ref: string, digest: string): string {
  try {
    return exactReference({ ...parseDockerImageReference(ref), id: digest, tag: '' });
  } catch {
    return ref;
  }
}

function ensureSpecTag(tags: Map<string, TagReference>, t: TagImport, reset: boolean): TagReference {
  const existing = tags.get(t.tag);
  if (existing && !reset) return existing;
  const tag: TagReference = existing ?? { name: t.tag, annotations: null, generation: 0, importPolicy: {}, referencePolicy: { type: '' } };
  tag.from = { kind: 'DockerImage', name: t.from };
  delete tag.reference;
  tag.generation = 0;
  tag.importPolicy = { ...t.importPolicy };
  // Importing never changes a reference policy the tag already has.
  if (!existing?.referencePolicy?.type) tag.referencePolicy = { ...t.referencePolicy };
  defaultTagReference(tag);
  tags.set(t.tag, tag);
  return tag;
}

/**
 * Writes import results into a stream as openshift's ImageStreamImport REST does, through the
 * ImageStream store's internal update path (strategy, tag resolution, resourceVersion, change
 * log) under the stream's row lock: a success adds a tag event exactly as an ImageStreamMapping
 * (history dedupe, tag_changes feed, cleared conditions, aliases follow) and points the spec tag
 * at the DockerImage source; a failure leaves an ImportSuccess=False condition. All events and
 * conditions carry the next stream generation, which the spec tags touched here also take.
 */
export class StreamImportWriter {
  constructor(
    private readonly db: Database,
    private readonly streams: GenericStore<ImageStream>,
    private readonly history: TagHistoryRepository,
  ) {}

  async write(namespace: string, name: string, imports: TagImport[], pre: WritePreconditions, options: WriteOptions): Promise<ImageStream> {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const exists = await this.streams.storage.get(this.db, namespace, name);
      try {
        if (!exists) {
          if (pre.resourceVersion || pre.uid) throw ApiError.notFound(streamRef, name);
          // Upstream creates the stream with the import; here the empty stream is created first and
          // the import is written by the update below, so both go through the store's normal paths.
          const created = await this.streams.create(
            namespace,
            { metadata: { name, annotations: { [dockerRepositoryCheckAnnotation]: nowTimestamp() } }, spec: {} },
            options,
          );
          // A dry run cannot update what it did not create: answer the stream as it would be created.
          if (options.dryRun) return created.body as ImageStream;
        }
        return await this.streams.mutate(
          namespace,
          name,
          (current, tx) => this.apply(current, tx, imports, pre),
          async (tx, stored) => {
            await this.streams.decorate(tx, [stored]);
            return { kind: imageStreamsInfo.kind, apiVersion: `${imageStreamsInfo.group}/${imageStreamsInfo.version}`, ...stored };
          },
          options,
        );
      } catch (e) {
        const race = e instanceof ApiError && e.details?.kind === 'imagestreams' && (e.reason === 'AlreadyExists' || e.reason === 'NotFound');
        if (!race) throw e;
      }
    }
    throw ApiError.serverTimeout({ group: imageStreamsInfo.group, resource: 'imagestreamimports' }, 'create');
  }

  private async apply(current: ImageStream, tx: Queryable, imports: TagImport[], pre: WritePreconditions): Promise<Mutation<ImageStream>> {
    const name = current.metadata.name!;
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw ApiError.conflict(streamRef, name, `the image stream was updated from "${pre.resourceVersion}" to "${current.metadata.resourceVersion}"`);
    }
    if (pre.uid && pre.uid !== current.metadata.uid) throw ApiError.notFound(streamRef, name);
    pre.guard?.(current);

    const before = structuredClone(current.spec);
    const next = current;
    const uid = next.metadata.uid!;
    const now = nowTimestamp();
    const nextGeneration = (next.metadata.generation ?? 0) + 1;
    const specTags = new Map((next.spec.tags ?? []).map((t) => [t.name, t]));
    const names = [...new Set(imports.map((i) => i.tag))];
    const tops = await this.history.current(tx, uid, names);
    const conditions = await this.conditionsOf(tx, uid, names);
    const origin = { namespace: next.metadata.namespace!, stream: name, cause: 'import' };
    let touched = false;
    const moved: { tag: string; event: TagEvent }[] = [];

    for (const t of imports) {
      const image = t.result.status.status === 'Success' ? t.result.image : undefined;
      if (!image) {
        const condition = importFailedCondition(t.result.status, nextGeneration, now);
        const existing = conditions.get(t.tag);
        const spec = specTags.get(t.tag);
        // The same failure again changes nothing, unless a re-import was asked for since it was
        // recorded (upstream would keep the old generation and its controller would retry forever).
        const recorded = hasSameCondition(existing, condition) && observedGeneration(undefined, existing) >= (spec?.generation ?? 0);
        if (!recorded) {
          await this.setConditions(tx, uid, t.tag, [condition]);
          conditions.set(t.tag, [condition]);
          // Generation 0 becomes the next generation on write: condition and spec tag then agree,
          // so the import worker does not retry the same failure in a loop.
          if (spec) spec.generation = 0;
          touched = true;
        }
        if (t.specTagOnFailure) ensureSpecTag(specTags, t, false);
        continue;
      }
      const event: TagEvent = {
        created: now,
        dockerImageReference: mostSpecific(image.dockerImageReference, image.metadata.name!),
        image: image.metadata.name!,
        generation: nextGeneration,
      };
      const top: CurrentEvent | undefined = tops.get(t.tag);
      const spec = specTags.get(t.tag);
      const changed =
        !top ||
        top.event.dockerImageReference !== event.dockerImageReference ||
        top.event.image !== event.image ||
        !spec ||
        spec.generation === null ||
        spec.generation > top.event.generation;
      let specTag = spec;
      if (changed) {
        specTag = ensureSpecTag(specTags, t, true);
        if (await this.history.add(tx, uid, t.tag, event, origin, top)) {
          touched = true;
          moved.push({ tag: t.tag, event });
          tops.set(t.tag, { id: '', event });
        }
      }
      specTag!.importPolicy = { ...t.importPolicy };
      if (conditions.get(t.tag)?.length) {
        await this.setConditions(tx, uid, t.tag, []);
        conditions.delete(t.tag);
        touched = true;
      }
    }

    next.spec.tags = [...specTags.values()];
    // Tags that follow an imported tag in the same stream move with it, as after a mapping.
    for (const { tag, event } of moved) {
      const aliases = aliasesOf(next, tag).filter((a) => !names.includes(a));
      const aliasTops = await this.history.current(tx, uid, aliases);
      for (const alias of aliases) {
        if (await this.history.add(tx, uid, alias, event, { ...origin, cause: 'alias' }, aliasTops.get(alias))) touched = true;
      }
    }
    const annotations = next.metadata.annotations ?? {};
    if (touched || !jsonEqual(before, next.spec) || !annotations[dockerRepositoryCheckAnnotation]) {
      next.metadata.annotations = { ...annotations, [dockerRepositoryCheckAnnotation]: now };
    }
    return { next, touched };
  }

  private async conditionsOf(q: Queryable, uid: string, tags: string[]): Promise<Map<string, TagEventCondition[]>> {
    const rows = await q.query<{ tag: string; conditions: TagEventCondition[] }>(
      `SELECT tag, conditions FROM image_stream_tag_conditions WHERE stream_uid = $1 AND tag = ANY($2::text[])`,
      [uid, tags],
    );
    return new Map(rows.map((r) => [r.tag, r.conditions]));
  }

  private async setConditions(q: Queryable, uid: string, tag: string, conditions: TagEventCondition[]): Promise<void> {
    if (conditions.length === 0) {
      await q.query(`DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1 AND tag = $2`, [uid, tag]);
      return;
    }
    await q.query(
      `INSERT INTO image_stream_tag_conditions (stream_uid, tag, conditions) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (stream_uid, tag) DO UPDATE SET conditions = EXCLUDED.conditions`,
      [uid, tag, JSON.stringify(conditions)],
    );
  }
}
