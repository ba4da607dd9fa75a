import { ApiError, nowTimestamp, serverWriteOptions, type WriteOptions } from '@app/api-machinery';
import type { Database, GenericStore, Mutation, Queryable } from '@app/persistence';
import { specRepositories } from '../allowed-registries/allowed-registries.validation';
import type { RegistryAllowList } from '../allowed-registries/registry-allow-list';
import type { ImageStream, TagEventCondition } from '../imagestream/imagestream.types';
import { aliasesOf } from '../imagestream/tag-aliases';
import type { StreamLimitsVerifier } from '../quota/stream-limits';
import { quotaRefusalFor, withStreamQuotaEvaluator } from '../quota/namespace-quota';
import { imageStreamsInfo } from '../resources/resource-infos';
import type { TagHistoryRepository, TagMoveOrigin } from '../tag-history/tag-history.repository';
import { refuseImportRegistries } from './import-registry-refusals';
import { importFailedCondition } from './import-status';
import { dockerRepositoryCheckAnnotation, planStreamImport, type StatusWrite, type TagImport, type TagStatusState } from './stream-import-plan';

export { dockerRepositoryCheckAnnotation, type TagImport } from './stream-import-plan';

export interface WritePreconditions {
  resourceVersion?: string;
  uid?: string;
  /**
   * Under the stream's row lock, before anything is written: the imports still wanted (the
   * background importer drops tags whose spec moved on). Throw to write nothing.
   */
  select?: (current: ImageStream, imports: TagImport[]) => TagImport[];
  /**
   * Tags whose import a user's spec write asked for (not a scheduled re-import): their moves are
   * that user's doing, cause `spec-import` (aliases `spec-alias`), which trigger dependents take as
   * an explicit re-point, as they take an `istag` write.
   */
  explicitTags?: ReadonlySet<string>;
}

/** The feed cause of an import's move of `tag`, and of the moves of the tags following it. */
function importCauses(pre: WritePreconditions, tag: string): { cause: string; aliasCause: string } {
  return pre.explicitTags?.has(tag) ? { cause: 'spec-import', aliasCause: 'spec-alias' } : { cause: 'import', aliasCause: 'alias' };
}

const streamRef = { group: imageStreamsInfo.group, resource: 'imagestream', kind: imageStreamsInfo.kind };
const maxAttempts = 10;
const noStatus: TagStatusState = { tops: new Map(), conditions: new Map() };

/** An update refused by a LimitRange: the stream as the import read it, and the tags it added to the status. */
interface LimitRefusal {
  resourceVersion: string;
  nextGeneration: number;
  tags: string[];
}

/** library-go quotautil.IsErrorLimitExceeded: a Forbidden or Invalid error about a LimitRange maximum. */
function isLimitExceeded(e: unknown): e is ApiError {
  return e instanceof ApiError && (e.reason === 'Forbidden' || e.reason === 'Invalid') && e.message.toLowerCase().includes('exceeds the maximum limit');
}

/** Tags the plan gives a status entry (an event, or conditions) that had none (no history, no conditions). */
function newStatusTags(writes: StatusWrite[], state: TagStatusState): string[] {
  const tags = new Set<string>();
  for (const w of writes) {
    if (w.kind === 'conditions' && w.conditions.length === 0) continue;
    if (state.tops.has(w.tag) || (state.conditions.get(w.tag)?.length ?? 0) > 0) continue;
    tags.add(w.tag);
  }
  return [...tags];
}

/**
 * Writes import results into a stream as openshift's ImageStreamImport REST does, in one write
 * through the ImageStream store (strategy, tag resolution, resourceVersion, change log): an
 * existing stream is updated under its row lock, a missing one is created with the imported tags
 * (generation 1, one ADDED change; nothing is left when that create fails). A success adds a tag
 * event exactly as an ImageStreamMapping (history dedupe, tag_changes feed, cleared conditions,
 * aliases follow); a failure leaves an ImportSuccess=False condition (see planStreamImport).
 */
export class StreamImportWriter {
  constructor(
    private readonly db: Database,
    private readonly streams: GenericStore<ImageStream>,
    private readonly history: TagHistoryRepository,
    private readonly limits?: StreamLimitsVerifier,
    /** allowedRegistriesForImport; null: every registry allowed. */
    private readonly allowedRegistries: RegistryAllowList | null = null,
  ) {}

  /** openshift.io/ImageStream limits on what an import adds (no query in a namespace without LimitRanges). */
  private async admit(tx: Queryable, uid: string | null, old: ImageStream | null, next: ImageStream, writes: StatusWrite[]): Promise<void> {
    if (!this.limits) return;
    const limits = await this.limits.limitsOf(tx, next.metadata.namespace!);
    if (!limits) return;
    const images = writes.flatMap((w) => (w.kind === 'event' ? [w.event.image] : []));
    await this.limits.admitImport(tx, uid, old, next, limits, images);
  }

  async write(namespace: string, name: string, imports: TagImport[], pre: WritePreconditions, options: WriteOptions): Promise<ImageStream> {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const exists = await this.streams.storage.get(this.db, namespace, name);
      const refusal: { value?: LimitRefusal } = {};
      try {
        if (!exists) return await this.create(namespace, name, imports, pre, options);
        return await this.streams.mutate(
          namespace,
          name,
          (current, tx) => this.update(current, tx, imports, pre, refusal),
          async (tx, stored) => {
            await this.streams.decorate(tx, [stored]);
            return { kind: imageStreamsInfo.kind, apiVersion: `${imageStreamsInfo.group}/${imageStreamsInfo.version}`, ...stored };
          },
          options,
        );
      } catch (e) {
        if (refusal.value && isLimitExceeded(e) && !options.dryRun) await this.recordLimitRefusal(namespace, name, refusal.value, e, options);
        // Created or deleted by someone else meanwhile: look again.
        const race = e instanceof ApiError && e.details?.kind === 'imagestreams' && (e.reason === 'AlreadyExists' || e.reason === 'NotFound');
        if (!race) throw quotaRefusalFor(e, { ref: { group: imageStreamsInfo.group, resource: 'imagestreamimports' }, name });
      }
    }
    throw ApiError.serverTimeout({ group: imageStreamsInfo.group, resource: 'imagestreamimports' }, 'create');
  }

  /** Upstream's create branch: the new stream (generation 0 → 1) with the imported tags and their status, in one create. */
  private async create(namespace: string, name: string, imports: TagImport[], pre: WritePreconditions, options: WriteOptions): Promise<ImageStream> {
    // Gone since the lookup: the stream store's NotFound, which names the requested resource upstream.
    if (pre.resourceVersion || pre.uid) throw ApiError.notFound({ group: imageStreamsInfo.group, resource: 'imagestreamimports' }, name);
    const fresh: ImageStream = { metadata: { name, namespace }, spec: { lookupPolicy: { local: false } } };
    const plan = planStreamImport(fresh, pre.select ? pre.select(fresh, imports) : imports, noStatus, nowTimestamp());
    // Before the store's create, whose spec check would answer without the refused status items.
    if (this.allowedRegistries) await refuseImportRegistries(this.db, this.history, this.allowedRegistries, { uid: null, oldSpec: new Set(), plan, imported: [] });
    const origin = (tag: string) => ({ namespace, stream: name, cause: importCauses(pre, tag).cause });
    // Upstream's imagestreamimports evaluator charges the stream (openshift.io/imagestreams only).
    const created = await withStreamQuotaEvaluator('virtual', () =>
      this.streams.create(namespace, { metadata: plan.next.metadata, spec: plan.next.spec }, serverWriteOptions(options), async (tx, stored) => {
        await this.admit(tx, null, null, { ...plan.next, metadata: { ...plan.next.metadata, namespace } }, plan.writes);
        return this.writeStatus(tx, stored.metadata.uid!, origin, plan.writes);
      }),
    );
    return created.body as ImageStream;
  }

  /**
   * rest.go recordLimitExceededStatus: a refused import still leaves ImportSuccess=False (the
   * refusal's reason and message, the import's generation) on each tag it added to the status,
   * written onto the stream as the import read it (spec and other tags unchanged). Upstream's
   * update of that stream fails if it moved on meanwhile, and a failure is only logged: so here.
   */
  private async recordLimitRefusal(namespace: string, name: string, refusal: LimitRefusal, error: ApiError, options: WriteOptions): Promise<void> {
    if (refusal.tags.length === 0) return;
    const condition = importFailedCondition({ metadata: {}, status: 'Failure', reason: error.reason, message: error.message }, refusal.nextGeneration, nowTimestamp());
    try {
      await this.streams.mutate(
        namespace,
        name,
        async (current, tx) => {
          if (current.metadata.resourceVersion !== refusal.resourceVersion) return { next: current };
          for (const tag of refusal.tags) await this.setConditions(tx, current.metadata.uid!, tag, [condition]);
          return { next: current, touched: true };
        },
        async () => undefined,
        serverWriteOptions(options),
      );
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }

  private async update(current: ImageStream, tx: Queryable, imports: TagImport[], pre: WritePreconditions, refusal: { value?: LimitRefusal }): Promise<Mutation<ImageStream>> {
    const name = current.metadata.name!;
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw ApiError.conflict(streamRef, name, `the image stream was updated from "${pre.resourceVersion}" to "${current.metadata.resourceVersion}"`);
    }
    if (pre.uid && pre.uid !== current.metadata.uid) throw ApiError.notFound(streamRef, name);
    const wanted = pre.select ? pre.select(current, imports) : imports;
    const uid = current.metadata.uid!;
    const names = [...new Set(wanted.map((i) => i.tag))];
    const state = { tops: await this.history.current(tx, uid, names), conditions: await this.conditionsOf(tx, uid, names) };
    const oldSpec = this.allowedRegistries ? specRepositories(current) : new Set<string>();
    const read = { resourceVersion: current.metadata.resourceVersion!, nextGeneration: (current.metadata.generation ?? 0) + 1 };
    const checkedBefore = current.metadata.annotations?.[dockerRepositoryCheckAnnotation];
    const plan = planStreamImport(current, wanted, state, nowTimestamp());
    // The plan stamps the check time whenever the import changes the stream. Upstream writes such
    // an import through its internal strategy, which drops status tags that hold nothing.
    if (plan.next.metadata.annotations?.[dockerRepositoryCheckAnnotation] !== checkedBefore) await this.history.collapseEmptyTags(tx, uid);
    if (this.allowedRegistries) await refuseImportRegistries(tx, this.history, this.allowedRegistries, { uid, oldSpec, plan, imported: names });
    // Kept for a LimitRange refusal, here or in the store's own check of the spec that follows.
    refusal.value = { ...read, tags: newStatusTags(plan.writes, state) };
    await this.admit(tx, uid, current, plan.next, plan.writes);
    const origin = (tag: string) => ({ namespace: current.metadata.namespace!, stream: name, cause: importCauses(pre, tag).cause });
    let touched = await this.writeStatus(tx, uid, origin, plan.writes);
    // Tags that follow an imported tag in the same stream move with it, as after a mapping.
    for (const { tag, event } of plan.moved) {
      const aliases = aliasesOf(plan.next, tag).filter((a) => !names.includes(a));
      const aliasTops = await this.history.current(tx, uid, aliases);
      for (const alias of aliases) {
        if (await this.history.add(tx, uid, alias, event, { ...origin(tag), cause: importCauses(pre, tag).aliasCause }, aliasTops.get(alias))) touched = true;
      }
    }
    return { next: plan.next, touched };
  }

  /** Runs the planned status writes; true when any changed something. */
  private async writeStatus(tx: Queryable, uid: string, origin: (tag: string) => TagMoveOrigin, writes: StatusWrite[]): Promise<boolean> {
    let touched = false;
    for (const w of writes) {
      if (w.kind === 'conditions') {
        await this.setConditions(tx, uid, w.tag, w.conditions);
        touched = true;
        continue;
      }
      // A top this plan added itself has no row id yet: read it back.
      const top = w.top && !w.top.id ? (await this.history.current(tx, uid, [w.tag])).get(w.tag) : w.top;
      const statement = this.history.addStatement(uid, w.tag, w.event, top, origin(w.tag));
      if (statement) {
        await tx.query(statement.text, [...statement.values]);
        touched = true;
      }
    }
    return touched;
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
