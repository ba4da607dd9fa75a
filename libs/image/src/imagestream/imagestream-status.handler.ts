import {
  ApiError,
  apiVersionOf,
  applyConfiguration,
  applyPatchDocument,
  appliedResourceVersion,
  checkApplyConfiguration,
  checkNameAgainstUrl,
  decodeTypedBody,
  omitEmptyMetadata,
  jsonEqual,
  listShapesOf,
  type ListShapes,
  nowTimestamp,
  type PatchType,
  refOf,
  trackUpdate,
  undecodableManagedFieldsTime,
  validateManagedFields,
  fieldErr,
  type WriteOptions,
  type WriteResult,
  uidPreconditionConflict,
} from '@app/api-machinery';
import { allocateResourceVersion, appendChange, type Database, isDerivation, type GenericStore, type Queryable, type ResourceHandler, type TableStorage } from '@app/persistence';
import { imageStreamStatusInfo } from '../resources/resource-infos';
import { type TagHistoryRepository, tagHistoryMarkSql } from '../tag-history/tag-history.repository';
import type { ImageStream, NamedTagEventList } from './imagestream.types';
import { prepareStatusTags, requestedStatusTags, sameStatusTags } from './imagestream-status-tags';
import { prepareStatusWrite, validateStatusWrite } from './imagestream-status.strategy';
import { statusReferenceRefusals } from '../allowed-registries/allowed-registries.validation';
import type { StreamLimitsVerifier } from '../quota/stream-limits';
import type { RegistryAllowList } from '../allowed-registries/registry-allow-list';
import { StreamSpecListeners } from './stream-spec-listeners';
import { ImportRequestsRepository } from '../import/import-requests.repository';

type ManagedMeta = ImageStream['metadata'] & { managedFields?: unknown };

/** The row without its resourceVersion and managedFields times: what a no-op write leaves as it was. */
function comparableRow(obj: ImageStream): object {
  const managed = (obj.metadata as ManagedMeta).managedFields;
  const times = Array.isArray(managed) ? managed.map((m) => (m && typeof m === 'object' ? { ...m, time: undefined } : m)) : managed;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined, managedFields: times } };
}

/**
 * `imagestreams/{name}/status`, as openshift-apiserver's status strategy: replaces the tag history
 * (pruners shorten it this way) and applies the request's metadata and spec.lookupPolicy, while
 * spec.tags, spec.dockerImageRepository and the generation stay as stored (see prepareStatusWrite).
 * Field ownership is recorded with `subresource: status`, as kube-apiserver does.
 */
export class ImageStreamStatusHandler implements ResourceHandler {
  readonly info = imageStreamStatusInfo;
  private readonly ref = refOf(imageStreamStatusInfo);
  private readonly importRequests = new ImportRequestsRepository();
  /** Upstream's image stream strategies reset no fields, so a status write owns what it changes, spec included. */
  private readonly shapes: ListShapes = {
    ...listShapesOf(imageStreamStatusInfo.mergeKeys, imageStreamStatusInfo.atomicFields, 'status', imageStreamStatusInfo.emptyObject),
    unmanagedTopLevel: new Set(['apiVersion', 'kind']),
  };

  constructor(
    private readonly db: Database,
    private readonly streams: GenericStore<ImageStream>,
    private readonly table: TableStorage<ImageStream>,
    private readonly history: TagHistoryRepository,
    private readonly specListeners = new StreamSpecListeners(),
    /** allowedRegistriesForImport; null: every registry allowed. */
    private readonly allowedRegistries: RegistryAllowList | null = null,
    /** openshift.io/ImageStream LimitRanges, which the status strategy verifies upstream. */
    private readonly limits: StreamLimitsVerifier | null = null,
  ) {}

  get(namespace: string, name: string): Promise<object> {
    return this.streams.get(namespace, name);
  }

  update(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.write('put', namespace, name, body, options);
  }

  /** Applied to the stream read under its row lock (see write), so a concurrent write cannot make it conflict. */
  patch(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    if (type === 'apply') return this.apply(namespace, name, patch, options);
    return this.write('patch', namespace, name, { derive: (current: ImageStream) => applyPatchDocument(type, current, patch, this.info.mergeKeys) }, options);
  }

  /**
   * Server-side apply through the status subresource: the configuration is merged with field
   * ownership as on the stream itself, and the applier is recorded as `operation: Apply` with
   * `subresource: status` (kube-apiserver's field manager on a status endpoint). The status
   * strategy then keeps spec.tags as stored. The object must exist (a subresource creates nothing).
   */
  private async apply(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const config = checkApplyConfiguration(this.info, this.shapes, body, namespace, name);
    const writer = { manager: options.fieldManager ?? '', apiVersion: apiVersionOf(this.info), subresource: 'status' };
    const precondition = appliedResourceVersion(config);
    const derive = (current: ImageStream) => {
      const live = current as unknown as Record<string, unknown>;
      const { object, managedFields } = applyConfiguration(this.shapes, live, (current.metadata as ManagedMeta).managedFields, config, writer, options.force === true, nowTimestamp());
      const meta = object['metadata'] as ManagedMeta;
      meta.managedFields = managedFields;
      meta.resourceVersion = precondition ?? current.metadata.resourceVersion;
      return object;
    };
    return this.write('patch', namespace, name, { derive }, options, 'as-applied');
  }

  private decode(body: unknown, namespace: string, name: string): ImageStream {
    const obj = decodeTypedBody<ImageStream>(body, this.info.kind, apiVersionOf(this.info));
    omitEmptyMetadata(obj.metadata);
    checkNameAgainstUrl(obj, namespace, name);
    return obj;
  }

  /** The request's stream and resourceVersion (checked by `write` once the stream was read). */
  private requested(body: unknown, namespace: string, name: string): { obj: ImageStream; rv: string | undefined } {
    const obj = this.decode(body, namespace, name);
    return { obj, rv: obj.metadata.resourceVersion };
  }

  /**
   * PUT and PATCH: as the main store, a PUT body's other uid is a failed precondition (409), a
   * patched one an invalid update (422). A patch comes as `derive`, applied to the stream (as
   * clients see it) read under its row lock, as kube-apiserver's GuaranteedUpdate applies it.
   */
  private async write(
    origin: 'put' | 'patch',
    namespace: string,
    name: string,
    /** The request body, or `{ derive }` for a patch. */
    body: unknown,
    options: WriteOptions,
    tracking: 'update' | 'as-applied' = 'update',
  ): Promise<WriteResult> {
    const derive = isDerivation<ImageStream>(body) ? body.derive : null;
    const given = derive ? null : this.requested(body, namespace, name);
    let rv = given?.rv;
    const result = await this.db.transaction(
      async (tx) => {
        const old = await this.table.get(tx, namespace, name, true);
        if (!old) throw ApiError.notFound(this.ref, name);
        let obj: ImageStream;
        if (derive) {
          const current = structuredClone(old);
          await this.streams.decorate(tx, [current]);
          ({ obj, rv } = this.requested(derive({ kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', ...current }), namespace, name));
        } else obj = structuredClone(given!.obj);
        const tags = requestedStatusTags(obj);
        const uid = obj.metadata.uid;
        if (uid && uid !== old.metadata.uid) {
          if (origin === 'put') throw uidPreconditionConflict(this.ref, namespace, name, uid, old.metadata.uid);
          throw ApiError.invalid(this.ref, name, [fieldErr.invalid('metadata.uid', uid, 'field is immutable')]);
        }
        // As the registry store's Update: a missing stream is 404 and another uid a failed
        // precondition before the version is looked at; the storage versioner reads "" and "0"
        // alike: no version (and streams need one).
        if (!rv || rv === '0') throw ApiError.resourceVersionRequired(this.ref, name);
        if (old.metadata.resourceVersion !== rv) throw ApiError.staleResourceVersion(this.ref, name);
        const current = (await this.history.statusOf(tx, [old.metadata.uid!])).get(old.metadata.uid!) ?? [];
        const nextTags = prepareStatusTags(tags, current, old);
        const next = prepareStatusWrite(obj, old);
        // An apply has recorded its ownership already (see apply).
        const tracked = tracking === 'update' ? this.track(next, old, current, nextTags, options) : [];
        const overLimit = await this.limits?.statusWriteProblem(tx, old, current, nextTags);
        const errors = [
          ...tracked,
          ...(overLimit ? [overLimit] : []),
          ...validateStatusWrite(next, old, tags, current),
          ...(this.allowedRegistries ? statusReferenceRefusals(this.allowedRegistries, next, tags, current) : []),
        ];
        if (errors.length) throw ApiError.invalid(this.ref, name, errors);
        await this.store(tx, next, old, nextTags, current);
        const stored = (await this.table.get(tx, namespace, name))!;
        await this.streams.decorate(tx, [stored]);
        return stored;
      },
      { rollback: options.dryRun },
    );
    // A dry run leaves the stored object, and so its resourceVersion, as it was.
    if (options.dryRun) result.metadata.resourceVersion = rv;
    return { code: 200, body: { kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', ...result } };
  }

  /**
   * Records the write in metadata.managedFields for the request's manager (server writes, without
   * one, keep what the request carried); returns the errors of the managedFields it carried.
   */
  private track(next: ImageStream, old: ImageStream, current: NamedTagEventList[], nextTags: NamedTagEventList[], options: WriteOptions) {
    const meta = next.metadata as ManagedMeta;
    if (options.fieldManager === undefined) {
      if (Array.isArray(meta.managedFields) && meta.managedFields.length === 0) delete meta.managedFields;
      return [];
    }
    const badTime = undecodableManagedFieldsTime(meta.managedFields);
    if (badTime !== undefined) {
      throw ApiError.badRequest(
        `ImageStream in version "v1" cannot be handled as a ImageStream: parsing time ${JSON.stringify(badTime)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(badTime)} as "2006"`,
      );
    }
    const errors = validateManagedFields(meta.managedFields);
    if (errors.length) return errors;
    const writer = { manager: options.fieldManager, apiVersion: apiVersionOf(this.info), subresource: 'status' };
    // Ownership is of the object as clients see it: the tag history is its status.
    const withTags = (s: ImageStream, t: NamedTagEventList[]) => ({ ...s, status: t.length ? { tags: t } : {} });
    const entries = trackUpdate(this.shapes, withTags(old, current), (old.metadata as ManagedMeta).managedFields, withTags(next, nextTags), meta.managedFields, writer, nowTimestamp());
    if (entries.length) meta.managedFields = entries;
    else delete meta.managedFields;
    return [];
  }

  /** Writes what changed under one new resourceVersion; an identical write keeps the version and tells no watcher anything. */
  private async store(tx: Queryable, next: ImageStream, old: ImageStream, nextTags: NamedTagEventList[], current: NamedTagEventList[]): Promise<void> {
    const tagsChanged = !sameStatusTags(nextTags, current);
    const rowChanged = !jsonEqual(comparableRow(next), comparableRow(old));
    if (!tagsChanged && !rowChanged) return;
    if (tagsChanged) {
      await this.history.replace(tx, old.metadata.uid!, nextTags);
      // A tag whose image the write changed (moved, or dropped: a pruner removing its entries) is
      // fed to tag_changes like any move, so its dependents are evaluated once this write commits.
      await this.history.feedReplacedTops(tx, old.metadata.uid!, current, nextTags, { namespace: old.metadata.namespace!, stream: old.metadata.name!, cause: 'status' });
    }
    const version = await allocateResourceVersion(tx);
    await this.table.update(tx, next, version);
    const relabelled = !jsonEqual(old.metadata.labels ?? {}, next.metadata.labels ?? {});
    await appendChange(tx, {
      rv: version,
      resource: 'imagestreams',
      namespace: next.metadata.namespace!,
      name: next.metadata.name!,
      type: 'MODIFIED',
      labels: next.metadata.labels ?? {},
      prevLabels: old.metadata.labels ?? {},
      object: next,
      // A label-selecting watch delivers the previous state as the DELETED of a stream that stopped matching.
      ...(relabelled ? { prevObject: old } : {}),
      snapshotMarkSql: tagHistoryMarkSql,
    });
    if (!jsonEqual(old.spec, next.spec)) await this.specListeners.notify(tx, next, old);
    // The import controller is level-driven: a tag whose history this write dropped is imported again.
    await this.importRequests.recordUnobserved(tx, next, old, version);
  }
}
