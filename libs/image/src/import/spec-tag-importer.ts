import { ApiError } from '@app/api-machinery';
import type { Database, TableStorage } from '@app/persistence';
import type { ImageStream } from '../imagestream/imagestream.types';
import type { ImageStreamImportHandler } from './imagestreamimport.handler';
import { type ImportRequestsRepository, isImportable } from './import-requests.repository';

/** The spec tag changed while its import ran: a newer request owns the tag now. */
class SupersededError extends Error {}

export type SpecTagImportOutcome = 'Success' | 'Failure' | 'superseded' | 'stream-gone' | 'already-imported';

/**
 * The background import of one spec tag generation (what openshift's image stream controller
 * does by posting an ImageStreamImport): re-checks under current state that the tag still wants
 * this import, then runs the ImageStreamImport path with import=true for that tag alone. Registry
 * failures end as the tag's ImportSuccess=False condition; the request row is settled either way.
 */
export class SpecTagImporter {
  constructor(
    private readonly db: Database,
    private readonly streams: TableStorage<ImageStream>,
    private readonly requests: ImportRequestsRepository,
    private readonly imports: ImageStreamImportHandler,
  ) {}

  /** `scheduledRequest`: the id of a scheduled re-import request (importPolicy.scheduled). */
  async run(streamUid: string, tag: string, generation: number, scheduledRequest?: string): Promise<SpecTagImportOutcome> {
    const outcome = await this.attempt(streamUid, tag, generation, scheduledRequest !== undefined);
    await this.requests.settle(this.db, streamUid, tag, generation, outcome, scheduledRequest);
    return outcome;
  }

  /** Marks the request settled after the last failed attempt, so the relay stops offering it. */
  async giveUp(streamUid: string, tag: string, generation: number, why: string, scheduledRequest?: string): Promise<void> {
    await this.requests.settle(this.db, streamUid, tag, generation, `error: ${why}`.slice(0, 500), scheduledRequest);
  }

  private async attempt(streamUid: string, tag: string, generation: number, scheduled: boolean): Promise<SpecTagImportOutcome> {
    const [row] = await this.db.query<{ namespace: string; name: string }>(`SELECT namespace, name FROM image_streams WHERE uid = $1`, [streamUid]);
    if (!row) return 'stream-gone';
    const stream = await this.streams.get(this.db, row.namespace, row.name);
    const spec = stream?.spec.tags?.find((t) => t.name === tag);
    if (!stream || !spec || !isImportable(spec) || spec.generation !== generation) return 'superseded';
    if (scheduled && !spec.importPolicy?.scheduled) return 'superseded';
    const observed = (await this.requests.observed(this.db, streamUid, [tag])).get(tag) ?? 0;
    // A scheduled re-import looks again even when the status is current, except for a digest,
    // which cannot change once imported (as upstream: pinned tags are imported until the first success).
    const pinned = spec.from!.name!.includes('@');
    if (observed >= generation && (!scheduled || pinned)) return 'already-imported';

    const from = spec.from!.name!;
    const guard = (current: ImageStream) => {
      const now = current.spec.tags?.find((t) => t.name === tag);
      if (!now || now.generation !== generation || now.from?.name !== from || !isImportable(now)) throw new SupersededError();
    };
    const isi = {
      metadata: { name: row.name, namespace: row.namespace, uid: streamUid },
      spec: {
        import: true,
        images: [{ from: { kind: 'DockerImage', name: from }, to: { name: tag }, importPolicy: { ...spec.importPolicy }, referencePolicy: { ...spec.referencePolicy } }],
      },
    };
    try {
      const result = await this.imports.run(row.namespace, isi, { dryRun: false }, guard);
      return result.status?.images?.[0]?.status.status === 'Success' ? 'Success' : 'Failure';
    } catch (e) {
      if (e instanceof SupersededError) return 'superseded';
      if (e instanceof ApiError && e.code === 404) return 'stream-gone';
      throw e;
    }
  }
}
