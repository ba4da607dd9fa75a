import { ApiError } from '@app/api-machinery';
import type { Database, TableStorage } from '@app/persistence';
import type { ImageStream, TagReference } from '../imagestream/imagestream.types';
import { isRepositoryInsecure } from '../imagestream/insecure-repository';
import type { ImageStreamImportHandler } from './imagestreamimport.handler';
import type { ImageStreamImport } from './imagestreamimport.types';
import { type ImportRequest, type ImportRequestsRepository, isImportable, needsRepositoryImport, REPOSITORY_REQUEST_TAG } from './import-requests.repository';
import type { TagImport } from './stream-import-writer';
import { tagsNeedingImport } from './tags-needing-import';

/** Every tag of an import was superseded under the lock: write nothing. */
class SupersededError extends Error {}

export type ImportRequestOutcome = 'Success' | 'Failure' | 'superseded' | 'stream-gone' | 'already-imported';
type TagOutcome = 'Success' | 'Failure' | 'superseded';

/**
 * The background import of one stream (openshift's image stream controller posting one
 * ImageStreamImport per stream): reads the stream, takes every importable spec tag that needs an
 * import (all scheduled ones too when a scheduled request is among `requests`), imports them with
 * one ImageStreamImport (import=true, the stream's uid as precondition), so the stream gets one
 * write and one generation. Under the row lock, tags whose spec moved on meanwhile are dropped
 * (their newer request imports them). Registry failures end as the tags' ImportSuccess=False
 * conditions; every request is settled with the outcome of its tag.
 */
export class StreamImporter {
  constructor(
    private readonly db: Database,
    private readonly streams: TableStorage<ImageStream>,
    private readonly requests: ImportRequestsRepository,
    private readonly imports: ImageStreamImportHandler,
    /** spec.images entries per ImageStreamImport (IMPORT_MAX_IMAGES): more tags take more writes. */
    private readonly maxImages: number,
  ) {}

  async run(streamUid: string, requestIds: string[]): Promise<Record<string, ImportRequestOutcome>> {
    const pending = await this.requests.pending(this.db, requestIds);
    if (pending.length === 0) return {};
    const outcomes = await this.attempt(streamUid, pending);
    await this.requests.settle(this.db, [...outcomes].map(([id, outcome]) => ({ id, outcome })));
    return Object.fromEntries(outcomes);
  }

  /** Marks the requests settled after the last failed attempt, so the relay stops offering them. */
  async giveUp(requestIds: string[], why: string): Promise<void> {
    const outcome = `error: ${why}`.slice(0, 500);
    await this.requests.settle(this.db, requestIds.map((id) => ({ id, outcome })));
  }

  private async attempt(streamUid: string, pending: ImportRequest[]): Promise<Map<string, ImportRequestOutcome>> {
    const all = (outcome: ImportRequestOutcome) => new Map(pending.map((r) => [r.id, outcome]));
    const [row] = await this.db.query<{ namespace: string; name: string }>(`SELECT namespace, name FROM image_streams WHERE uid = $1`, [streamUid]);
    const stream = row ? await this.streams.get(this.db, row.namespace, row.name) : null;
    if (!row || !stream || stream.metadata.uid !== streamUid) return all('stream-gone');

    const importable = (stream.spec.tags ?? []).filter(isImportable);
    const observations = await this.requests.observations(this.db, streamUid, importable.map((t) => t.name));
    // A full import of spec.dockerImageRepository rides with the first chunk of tags.
    const repository = pending.some((r) => r.tag === REPOSITORY_REQUEST_TAG) && needsRepositoryImport(stream) ? stream.spec.dockerImageRepository : undefined;
    // A full import takes every importable tag along, needed or not (upstream handleImageStream
    // when not partial): removing the check annotation re-reads the whole stream.
    const wanted = repository ? importable : tagsNeedingImport(stream, observations, pending.some((r) => r.scheduled));
    const results = new Map<string, TagOutcome>();
    // Tags a spec write asked to import (not a periodic re-import): their moves are explicit.
    const explicit = new Set(pending.filter((r) => !r.scheduled && r.tag !== REPOSITORY_REQUEST_TAG).map((r) => r.tag));
    try {
      for (let i = 0; i < Math.max(wanted.length, repository ? 1 : 0); i += this.maxImages) {
        await this.importTags(row.namespace, row.name, streamUid, wanted.slice(i, i + this.maxImages), results, explicit, i === 0 ? repository : undefined, isRepositoryInsecure(stream.metadata.annotations));
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return all('stream-gone');
      throw e;
    }
    return new Map(pending.map((r) => [r.id, outcomeOf(r, stream, results)]));
  }

  /**
   * One ImageStreamImport for `tags` (and `repository`, a full import of the stream's
   * spec.dockerImageRepository); records each tag's result, the repository's under
   * REPOSITORY_REQUEST_TAG.
   */
  private async importTags(
    namespace: string,
    name: string,
    uid: string,
    tags: TagReference[],
    results: Map<string, TagOutcome>,
    explicit: ReadonlySet<string>,
    repository?: string,
    insecureRepository = false,
  ): Promise<void> {
    const planned = new Map(tags.map((t) => [t.name, t]));
    const kept = new Set<string>();
    let repositoryKept = false;
    // The spec tag must still ask for this import: same generation and source, still importable;
    // a repository's tags only while the stream still names that repository, unchecked.
    const select = (current: ImageStream, imports: TagImport[]) => {
      const now = new Map((current.spec.tags ?? []).map((t) => [t.name, t]));
      const repositoryStill = !!repository && current.spec.dockerImageRepository === repository && needsRepositoryImport(current);
      const still = imports.filter((i) => {
        const was = planned.get(i.tag);
        if (!was || was.from?.name !== i.from) return repositoryStill && i.from === `${repository}:${i.tag}`;
        const is = now.get(i.tag);
        return !!is && isImportable(is) && is.generation === was.generation && is.from?.name === i.from;
      });
      repositoryKept = repositoryStill;
      if (still.length === 0 && !repositoryStill) throw new SupersededError();
      for (const i of still) kept.add(i.tag);
      return still;
    };
    const isi: ImageStreamImport = {
      metadata: { name, namespace, uid },
      spec: {
        import: true,
        images: tags.map((t) => ({
          from: { kind: 'DockerImage', name: t.from!.name! },
          to: { name: t.name },
          importPolicy: { ...t.importPolicy },
          referencePolicy: { ...t.referencePolicy },
        })),
        // As upstream's controller: a full import is insecure when the stream is annotated
        // openshift.io/image.insecureRepository: "true" (the tags it creates keep that policy).
        ...(repository
          ? {
              repository: {
                from: { kind: 'DockerImage', name: repository },
                importPolicy: insecureRepository ? { insecure: true } : {},
                referencePolicy: { type: 'Source' },
              },
            }
          : {}),
      },
    };
    try {
      const result = await this.imports.run(namespace, isi, { dryRun: false }, select, explicit);
      tags.forEach((t, i) => {
        const status = result.status?.images?.[i]?.status.status;
        results.set(t.name, !kept.has(t.name) ? 'superseded' : status === 'Success' ? 'Success' : 'Failure');
      });
      if (repository) {
        const status = result.status?.repository?.status.status;
        results.set(REPOSITORY_REQUEST_TAG, !repositoryKept ? 'superseded' : status === 'Success' ? 'Success' : 'Failure');
      }
    } catch (e) {
      if (!(e instanceof SupersededError)) throw e;
      for (const t of tags) results.set(t.name, 'superseded');
      if (repository) results.set(REPOSITORY_REQUEST_TAG, 'superseded');
    }
  }
}

/** How one request ended, given the stream as the import read it and the results of its tags. */
function outcomeOf(request: ImportRequest, stream: ImageStream, results: Map<string, TagOutcome>): ImportRequestOutcome {
  if (request.tag === REPOSITORY_REQUEST_TAG) return results.get(REPOSITORY_REQUEST_TAG) ?? (needsRepositoryImport(stream) ? 'superseded' : 'already-imported');
  const tag = stream.spec.tags?.find((t) => t.name === request.tag);
  if (!tag || !isImportable(tag)) return 'superseded';
  if (request.scheduled ? !tag.importPolicy?.scheduled : tag.generation !== request.generation) return 'superseded';
  return results.get(request.tag) ?? 'already-imported';
}
