import { randomUUID } from 'node:crypto';
import {
  ApiError,
  type ApiObject,
  applyConfiguration,
  apiVersionOf,
  checkApplyConfiguration,
  checkNameAgainstUrl,
  checkNamespaceOnCreate,
  decodeTypedBody,
  deletionFieldUpdateErrors,
  omitEmptyMetadata,
  withoutQuotedMaps,
  applyPatchDocument,
  type DeleteOptions,
  type DeletionPropagation,
  encodeContinue,
  type FieldError,
  fieldErr,
  jsonEqual,
  generateName,
  KUBECTL_APPLY_MANAGER,
  LAST_APPLIED_ANNOTATION,
  lastAppliedValue,
  type ListOptions,
  type ListResult,
  listShapesOf,
  type ListShapes,
  nowTimestamp,
  type PatchType,
  refOf,
  type ResourceInfo,
  type ResourceStrategy,
  successStatus,
  trackUpdate,
  undecodableManagedFieldsTime,
  type Writer,
  validateAnnotations,
  validateFinalizers,
  validateLabels,
  validateManagedFields,
  validateOwnerReferences,
  validateNamespaceName,
  validatePathSegmentName,
  type WriteOptions,
  type WriteResult,
  isJsonObject,
} from '@app/api-machinery';
import { appendChange, currentResourceVersion } from '../change-log';
import { type Database, pgErrorCode, type Queryable } from '../database';
import { allocateResourceVersion } from '../resource-version';
import { CONSISTENT_READ_WAIT_MS, versionsComplete } from '../version-gap';
import { finalizersAfterDelete, isGarbageCollectorFinalizer, ORPHAN_FINALIZER } from './deletion-finalizers';
import { resumeList } from './list-continuation';
import type { ResourceHandler } from './resource-handler';
import { ListSnapshot } from './list-snapshot';
import type { TableStorage } from './table-storage';

/** Kind-specific persistence side effects that run inside the write transaction. */
export interface StoreHooks<T extends ApiObject> {
  /** After the row is written (create or main-path update), e.g. resolve tag references. */
  afterWrite?(tx: Queryable, obj: T, old: T | null, rv: string): Promise<void>;
  /**
   * Just before the row is removed (a delete, or the update that drops the last finalizer), under
   * its lock: consequences of the object going away that commit with it (e.g. outbox rows).
   * `propagation`: what the delete asked for its dependents (absent: the kind's default, and
   * always on the removal that the last finalizer's update completes).
   */
  beforeRemove?(tx: Queryable, old: T, propagation?: DeletionPropagation): Promise<void>;
  /**
   * Fills computed/out-of-row state (e.g. status tags) for output. `marks[i]`, when given, is the
   * change's snapshot mark: fill objs[i] in as of that position (see `snapshotMarkSql`).
   */
  decorate?(q: Queryable, objs: T[], marks?: (string | null | undefined)[]): Promise<void>;
  /** SQL for the position of the out-of-row state, recorded with each change (ChangeRecord.snapshotMarkSql). */
  snapshotMarkSql?: string;
  /** What the change log keeps of an object (e.g. secrets without their keys); watches deliver this. */
  loggedObject?(obj: T): object;
  /** Object validation that needs storage (e.g. referenced streams exist). */
  validateWithStorage?(tx: Queryable, obj: T, old: T | null): Promise<FieldError[]>;
  /**
   * The causes a write refused by the strategy's validation is answered with, when checks that
   * read storage belong in the same answer (upstream runs them inside the strategy's Validate):
   * gets the validation errors, returns the full list. Reads only (a create's runs rolled back).
   */
  explainInvalid?(tx: Queryable, obj: T, old: T | null, errors: FieldError[]): Promise<FieldError[]>;
  /**
   * Mutating admission that reads storage (e.g. image names resolved through image streams): may
   * change the object in the write transaction, before the update's generation and no-op checks.
   * `old` is the stored object on an update, null on a create.
   */
  admit?(tx: Queryable, obj: T, old: T | null): Promise<void>;
}

const maxPatchAttempts = 5;

/**
 * A patch handed to an update path as how to make the body from the object read under the row
 * lock (`{ derive }`), rather than as a body: see GenericStore.updateFrom.
 */
export function isDerivation<T>(body: unknown): body is { derive: (current: T) => unknown } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as { derive?: unknown }).derive === 'function';
}

/**
 * Field ownership of a write: tracked as an update by `manager` (API requests), or kept as the
 * object carries it (server-side apply computed it already; the server's own writes keep the
 * stored managers).
 */
type Tracking = { manager: string } | 'as-is';

const trackingOf = (options: WriteOptions): Tracking => (options.fieldManager !== undefined ? { manager: options.fieldManager } : 'as-is');

type ManagedMeta = ApiObject['metadata'] & { managedFields?: unknown };

/** The object without its resourceVersion and with every managedFields entry's `time` dropped. */
function withoutManagedTimes(obj: ApiObject): object {
  const managed = (obj.metadata as ManagedMeta).managedFields;
  const times = Array.isArray(managed) ? managed.map((m) => (m && typeof m === 'object' ? { ...m, time: undefined } : m)) : managed;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined, managedFields: times } };
}

/** What an internal update (`GenericStore.mutate`) stores. */
export interface Mutation<T> {
  /** The next state of the object (a changed copy of the current one). */
  next: T;
  /** State kept outside the row changed (e.g. tag history): write a new resourceVersion even if the row did not. */
  touched?: boolean;
}

/** kube-apiserver's maxNameGenerationCreateAttempts. */
const MAX_NAME_GENERATION_ATTEMPTS = 8;

/** The name a create made from generateName exists already: the create is tried again. */
class GeneratedNameTaken extends Error {
  constructor(readonly takenName: string) {
    super(`generated name ${takenName} is taken`);
  }
}

/**
 * The one resource machinery for stored kinds, after kubernetes/apiserver's generic registry
 * Store: resourceVersion, generation hand-off to strategies, optimistic concurrency, dry-run,
 * list pagination and the change log. Kinds plug in a strategy and a table.
 */
export class GenericStore<T extends ApiObject> implements ResourceHandler {
  constructor(
    readonly info: ResourceInfo,
    private readonly db: Database,
    readonly storage: TableStorage<T>,
    private readonly strategy: ResourceStrategy<T>,
    private readonly hooks: StoreHooks<T> = {},
  ) {}

  private get ref() {
    return refOf(this.info);
  }

  private nsKey(namespace: string): string {
    return this.info.namespaced ? namespace : '';
  }

  /** Wire order: kind, apiVersion, metadata, then the rest (jsonb does not keep key order). */
  private withType(obj: T): T {
    const { kind: _k, apiVersion: _a, metadata, ...rest } = obj;
    return { kind: this.info.kind, apiVersion: apiVersionOf(this.info), metadata, ...rest } as unknown as T;
  }

  async decorate(q: Queryable, objs: T[], marks?: (string | null | undefined)[]): Promise<T[]> {
    if (this.hooks.decorate && objs.length) await this.hooks.decorate(q, objs, marks);
    return objs;
  }

  /** Reads the stored object (decorated); 404 when missing. */
  async get(namespace: string, name: string): Promise<T> {
    const obj = await this.readDecorated(namespace, name);
    if (!obj) throw ApiError.notFound(this.ref, name);
    return this.withType(obj);
  }

  /**
   * The row and its computed state (a stream's tag history) from one snapshot: read separately,
   * a write committing in between showed history newer than the object's resourceVersion and
   * metadata. Kinds without computed state need no transaction.
   */
  private async readDecorated(namespace: string, name: string): Promise<T | null> {
    const read = async (q: Queryable) => {
      const obj = await this.storage.get(q, this.nsKey(namespace), name);
      if (obj) await this.decorate(q, [obj]);
      return obj;
    };
    return this.hooks.decorate ? this.db.transaction(read, { isolation: 'REPEATABLE READ' }) : read(this.db);
  }

  /** A change-log object as clients see it: computed state filled in (as of `mark`, when given), type set. */
  async present(obj: object, mark?: string | null): Promise<object> {
    const [presented] = await this.presentMany([obj], [mark]);
    return presented!;
  }

  /** Several change-log objects, with the computed state of all of them read at once. */
  async presentMany(objs: object[], marks?: (string | null | undefined)[]): Promise<object[]> {
    const copies = objs.map((o) => structuredClone(o) as T);
    await this.decorate(this.db, copies, marks);
    return copies.map((c) => this.withType(c));
  }

  async current(namespace: string, name: string): Promise<T | null> {
    const obj = await this.readDecorated(namespace, name);
    return obj ? this.withType(obj) : null;
  }

  /** Selectable field values of an object as served (pass a presented object for computed fields). */
  fieldsOf(obj: object): Record<string, string> {
    const meta = (obj as ApiObject).metadata;
    const fields: Record<string, string> = { 'metadata.name': meta.name ?? '', 'metadata.namespace': meta.namespace ?? '' };
    for (const field of this.info.fieldSelectors) {
      let value: unknown = obj;
      for (const key of field.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      fields[field] = typeof value === 'string' ? value : '';
    }
    return fields;
  }

  async list(options: ListOptions): Promise<ListResult<T>> {
    if (options.continueToken || options.exactResourceVersion !== undefined) {
      return this.db.transaction((tx) => this.listAtVersion(tx, options), { isolation: 'REPEATABLE READ' });
    }
    // A list without a version is a consistent read: it holds every write acknowledged before it.
    // With a change feed in this process it is reported at a version every change at or below
    // which has committed, so a watch from there misses nothing: the newest version in its
    // snapshot when every version up to it is there (versionsComplete), else the feed's position
    // read before the snapshot, the list then being the one as it was at that version (later
    // changes rebuilt from the change log), as a kube list is one revision's snapshot: a watch from
    // the reported version delivers only what is newer than every state listed.
    for (let round = 1; ; round++) {
      // Read before the snapshot is taken: everything at or below it is in the snapshot.
      const settled = await this.db.versionHorizon();
      const outcome = await this.db.transaction(
        async (tx): Promise<ListResult<T> | { behind: string }> => {
          const memberRv = await currentResourceVersion(tx);
          if (settled === undefined || (await versionsComplete(tx, settled, memberRv))) return this.currentPage(tx, options, memberRv);
          // The feed's position may trail a write acknowledged before this list: once, wait for
          // it to reach this snapshot's newest version, then read again.
          if (round === 1) return { behind: memberRv };
          const snapshot = await ListSnapshot.at<T>(tx, this, options.namespace, settled, 'current');
          return this.snapshotPage(tx, snapshot, options, undefined, settled, true);
        },
        { isolation: 'REPEATABLE READ' },
      );
      if (!('behind' in outcome)) return outcome;
      await this.db.versionHorizon(outcome.behind, CONSISTENT_READ_WAIT_MS);
    }
  }

  /** A later page of a list (continue token), or a list at an exact resourceVersion. */
  private async listAtVersion(tx: Queryable, options: ListOptions): Promise<ListResult<T>> {
    if (options.continueToken) {
      const token = await resumeList(tx, options.continueToken, options.namespace, this.info.namespaced);
      const after = { namespace: token.namespace, name: token.name };
      // listRv: what the first page reported; token.rv: the newest version visible to it, at
      // which every later page reads the list (kube-apiserver reads them at the first page's
      // revision): the objects that existed then, in their state then.
      if (token.exact) return this.listAt(tx, token.rv, options, after);
      const snapshot = await ListSnapshot.at<T>(tx, this, options.namespace, token.rv, 'current');
      return this.snapshotPage(tx, snapshot, options, after, token.listRv ?? token.rv, true);
    }
    return this.listAt(tx, options.exactResourceVersion!, options, undefined);
  }

  /** The first page of a list from the current rows, all of which are at or below `memberRv`. */
  private async currentPage(tx: Queryable, options: ListOptions, memberRv: string): Promise<ListResult<T>> {
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    const page = {
      namespace: this.info.namespaced ? options.namespace : undefined,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    const rows = await this.storage.list(tx, { ...page, limit: limit !== undefined ? limit + 1 : undefined });
    const more = limit !== undefined && rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    await this.decorate(tx, items);
    const last = items[items.length - 1];
    const remainingItemCount =
      more && last && this.counted(options) ? await this.storage.count(tx, { ...page, after: { namespace: last.metadata.namespace ?? '', name: last.metadata.name ?? '' } }) : undefined;
    return this.pageResult(items, more, memberRv, memberRv, remainingItemCount);
  }

  /** kube-apiserver counts what follows a page only when nothing is selected (with selectors its count would include objects that do not match, so it gives none). */
  private counted(options: ListOptions): boolean {
    return options.labelSelector.length === 0 && options.fieldSelector.length === 0;
  }

  private pageResult(items: T[], more: boolean, listRv: string, memberRv: string, remainingItemCount: number | undefined, exact?: true): ListResult<T> {
    const last = items[items.length - 1];
    return {
      metadata: {
        resourceVersion: listRv,
        ...(more && last
          ? {
              continue: encodeContinue({ rv: memberRv, listRv, namespace: last.metadata.namespace ?? '', name: last.metadata.name ?? '', ...(exact ? { exact } : {}) }),
              ...(remainingItemCount !== undefined ? { remainingItemCount } : {}),
            }
          : {}),
      },
      items: items.map((item) => this.asListItem(item)),
    };
  }

  /** Wire order of a list item: metadata, then the rest (no type meta, as kube's typed lists). */
  private asListItem(obj: T): T {
    const { kind: _k, apiVersion: _a, metadata, ...rest } = obj;
    return { metadata, ...rest } as unknown as T;
  }

  /**
   * One page of `snapshot` after `after`, reported at `listRv`. `countRest`: remainingItemCount as
   * on a first page (the snapshot's objects after the page: the unchanged rows counted in SQL, as
   * a first page counts, plus the logged states after the page).
   */
  private async snapshotPage(
    tx: Queryable,
    snapshot: ListSnapshot<T>,
    options: ListOptions,
    after: { namespace: string; name: string } | undefined,
    listRv: string,
    countRest: boolean,
  ): Promise<ListResult<T>> {
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    const page = {
      namespace: this.info.namespaced ? options.namespace : undefined,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    const entries = await snapshot.page(tx, { ...page, after, limit: limit !== undefined ? limit + 1 : undefined });
    const more = limit !== undefined && entries.length > limit;
    const answered = more ? entries.slice(0, limit) : entries;
    // Decorate only what is answered: current rows with their history, old states as of their change.
    await snapshot.decorate(tx, answered);
    const items = answered.map((e) => e.object);
    const last = items[items.length - 1];
    const remainingItemCount =
      countRest && more && last && this.counted(options)
        ? await snapshot.count(tx, { ...page, after: { namespace: last.metadata.namespace ?? '', name: last.metadata.name ?? '' } })
        : undefined;
    return this.pageResult(items, more, listRv, snapshot.rv, remainingItemCount, countRest ? undefined : true);
  }

  /**
   * resourceVersionMatch=Exact: the list as it was at `rv` (objects unchanged since are their
   * current rows, the others come from the change log; see statesAt), every page of it. No
   * remainingItemCount: counting the rest would read the whole collection (it is optional).
   */
  private async listAt(tx: Queryable, rv: string, options: ListOptions, after: { namespace: string; name: string } | undefined): Promise<ListResult<T>> {
    const snapshot = await ListSnapshot.at<T>(tx, this, options.namespace, rv, 'expire');
    return this.snapshotPage(tx, snapshot, options, after, rv, false);
  }

  private warningsOf(obj: T): { warnings?: string[] } {
    const warnings = this.strategy.warnings?.(obj) ?? [];
    return warnings.length ? { warnings } : {};
  }

  /** Shape checks every write body gets before any rule runs. */
  private decode(body: unknown, namespace: string): T {
    const obj = decodeTypedBody<T>(body, this.info.kind, apiVersionOf(this.info));
    omitEmptyMetadata(obj.metadata);
    if (this.info.namespaced) {
      checkNamespaceOnCreate(obj.metadata.namespace, namespace);
      obj.metadata.namespace = namespace;
    } else {
      delete obj.metadata.namespace;
    }
    delete obj.kind;
    delete obj.apiVersion;
    return obj;
  }

  private validateMeta(obj: T): FieldError[] {
    const m = obj.metadata;
    const errors: FieldError[] = [];
    // The prefix itself is checked first, as ValidateObjectMeta does (kinds' own name rules then
    // check the generated name).
    if (m.generateName) errors.push(...validatePathSegmentName(m.generateName, 'metadata.generateName', true));
    if (!m.name) errors.push(fieldErr.required('metadata.name', 'name or generateName is required'));
    else errors.push(...validatePathSegmentName(m.name));
    if (this.info.namespaced) {
      if (!m.namespace) errors.push(fieldErr.required('metadata.namespace'));
      else errors.push(...validateNamespaceName(m.namespace));
    }
    errors.push(...validateLabels(m.labels));
    errors.push(...validateAnnotations(m.annotations));
    errors.push(...validateOwnerReferences((m as Record<string, unknown>)['ownerReferences']));
    errors.push(...validateFinalizers(m.finalizers));
    return errors;
  }

  private invalid(obj: T, errors: FieldError[]): ApiError {
    return ApiError.invalid(this.ref, obj.metadata.name ?? obj.metadata.generateName ?? '', errors);
  }

  /**
   * `writeWith` (trusted creators, e.g. an import that creates its stream) writes the new object's
   * out-of-row state in the same transaction, after its row and before the hooks and the change
   * log, so the object is created with that state in one change.
   */
  async create(
    namespace: string,
    body: unknown,
    options: WriteOptions,
    writeWith?: (tx: Queryable, created: T) => Promise<unknown>,
  ): Promise<WriteResult> {
    return this.createTracked(namespace, body, options, trackingOf(options), writeWith);
  }

  /**
   * As kube-apiserver (RetryGenerateName, GA in 1.32): a name made from generateName that is
   * taken is made again, up to 8 attempts in all, before the conflict is answered.
   */
  private async createTracked(
    namespace: string,
    body: unknown,
    options: WriteOptions,
    tracking: Tracking,
    writeWith?: (tx: Queryable, created: T) => Promise<unknown>,
  ): Promise<WriteResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.createOnce(namespace, body, options, tracking, writeWith);
      } catch (e) {
        if (e instanceof GeneratedNameTaken) {
          if (attempt < MAX_NAME_GENERATION_ATTEMPTS) continue;
          throw ApiError.generateNameConflict(this.ref, e.takenName);
        }
        throw e;
      }
    }
  }

  private async createOnce(
    namespace: string,
    body: unknown,
    options: WriteOptions,
    tracking: Tracking,
    writeWith?: (tx: Queryable, created: T) => Promise<unknown>,
  ): Promise<WriteResult> {
    const obj = this.decode(body, namespace);
    const m = obj.metadata;
    const generated = !m.name && !!m.generateName;
    if (generated) m.name = generateName(m.generateName!);
    m.uid = randomUUID();
    m.creationTimestamp = nowTimestamp();
    delete m.resourceVersion;
    delete m.selfLink;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    this.strategy.prepareForCreate(obj);
    const errors = [...this.track(obj, null, tracking), ...this.validateMeta(obj), ...this.strategy.validate(obj)];
    if (errors.length) {
      const hooks = this.hooks;
      const explained = hooks.explainInvalid ? await this.db.transaction((tx) => hooks.explainInvalid!(tx, obj, null, errors), { rollback: true }) : errors;
      throw this.invalid(obj, explained);
    }
    this.strategy.canonicalize(obj);
    const validated = obj;
    const created = await this.db.transaction(
      async (tx) => {
        // First (in BEGIN's round trip), wait for any writer of this name in flight: a delete holds
        // the row until it commits. The version taken below is then later than that delete's, as
        // etcd's commit revision is; taken before, the insert would wait behind the delete on the
        // key's index and commit the new object's ADDED at a version below the old one's DELETED
        // (watchers keyed by name would drop the live object). Also the delete's lock order (row,
        // then quota rows in admission), so the two cannot deadlock.
        const [held] = await tx.batch([this.storage.claimStatement(this.nsKey(namespace), m.name!)]);
        const taken = held!.length > 0;
        // Each run (Database.transaction runs fn again after a deadlock or a closed version) starts
        // from the request: admission hooks rewrite the object (local image names resolved).
        const obj = structuredClone(validated);
        await this.hooks.admit?.(tx, obj, null);
        const storageErrors = (await this.hooks.validateWithStorage?.(tx, obj, null)) ?? [];
        if (storageErrors.length) throw this.invalid(obj, storageErrors);
        // After admission and validation, as the failed insert answered before: no version is taken.
        if (taken) throw generated ? new GeneratedNameTaken(m.name!) : ApiError.alreadyExists(this.ref, m.name!);
        const rv = await allocateResourceVersion(tx);
        try {
          await this.storage.insert(tx, obj, rv);
        } catch (e) {
          if (pgErrorCode(e) === '23505') throw generated ? new GeneratedNameTaken(m.name!) : ApiError.alreadyExists(this.ref, m.name!);
          throw e;
        }
        await writeWith?.(tx, obj);
        await this.hooks.afterWrite?.(tx, obj, null, rv);
        await appendChange(tx, this.change(obj, rv, 'ADDED', null));
        const stored = await this.storage.get(tx, this.nsKey(namespace), m.name!);
        await this.decorate(tx, [stored!]);
        return stored!;
      },
      { rollback: options.dryRun },
    );
    // A dry run's version was rolled back: it never existed, so it is not handed out (upstream: empty).
    if (options.dryRun) delete created.metadata.resourceVersion;
    return { code: 201, body: this.withType(created), ...this.warningsOf(created) };
  }

  /**
   * Records the write in metadata.managedFields (an update by the tracked manager); returns the
   * validation errors of managedFields the request itself carried.
   */
  private track(obj: T, old: T | null, tracking: Tracking): FieldError[] {
    const meta = obj.metadata as ManagedMeta;
    if (tracking === 'as-is') {
      if (meta.managedFields === undefined || (Array.isArray(meta.managedFields) && meta.managedFields.length === 0)) delete meta.managedFields;
      return [];
    }
    const badTime = undecodableManagedFieldsTime(meta.managedFields);
    if (badTime !== undefined) {
      throw ApiError.badRequest(
        `${this.info.kind} in version "${this.info.version}" cannot be handled as a ${this.info.kind}: parsing time ${JSON.stringify(badTime)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(badTime)} as "2006"`,
      );
    }
    const errors = validateManagedFields(meta.managedFields);
    if (errors.length) return errors;
    const writer = this.writerOf(tracking.manager);
    const liveEntries = old ? (old.metadata as ManagedMeta).managedFields : undefined;
    const entries = trackUpdate(this.shapes(), old, liveEntries, obj, meta.managedFields, writer, nowTimestamp());
    if (entries.length) meta.managedFields = entries;
    else delete meta.managedFields;
    return [];
  }

  private shapes(): ListShapes {
    return listShapesOf(this.info.mergeKeys, this.info.atomicFields, this.info.resource.endsWith('/status') ? 'status' : 'main', this.info.emptyObject, this.info.granularMaps);
  }

  /** A store serving a subresource (`triggers/status`) records its writers as such, as kube-apiserver does. */
  private writerOf(manager: string): Writer {
    const subresource = this.info.resource.split('/')[1];
    return subresource ? { manager, apiVersion: apiVersionOf(this.info), subresource } : { manager, apiVersion: apiVersionOf(this.info) };
  }

  private change(obj: T, rv: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', prev: T | null, object?: object) {
    const logged = (o: T): unknown => (this.hooks.loggedObject ? this.hooks.loggedObject(o) : o);
    const relabelled = type === 'MODIFIED' && prev !== null && !jsonEqual(prev.metadata.labels ?? {}, obj.metadata.labels ?? {});
    // Likewise a write moving a kind-specific selectable field (a namespace's status.phase, a stream's
    // dockerImageRepository): a field-selecting watch matches the previous state too.
    const refielded = type === 'MODIFIED' && prev !== null && this.info.fieldSelectors.length > 0 && !jsonEqual(this.fieldsOf(prev), this.fieldsOf(obj));
    return {
      rv,
      // A subresource's writes (`triggers/status`) change the resource itself: its watchers hear them.
      resource: this.info.resource.split('/')[0]!,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name!,
      type,
      labels: obj.metadata.labels ?? {},
      prevLabels: prev ? (prev.metadata.labels ?? {}) : null,
      // Each change keeps the stored object as written (no computed status), so a watch delivers
      // every state in order; computed parts are filled in at delivery (present()), as of the mark.
      object: logged((object ?? obj) as T),
      ...(relabelled || refielded ? { prevObject: logged(prev) } : {}),
      snapshotMarkSql: this.hooks.snapshotMarkSql,
    };
  }

  async update(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.updateFrom('put', namespace, name, body, options, trackingOf(options));
  }

  /** A body, or how to make it from the object as stored (a patch, applied under the row lock). */
  private requestedBody(body: unknown, namespace: string, name: string): T {
    checkNameAgainstUrl(body, namespace, name);
    const obj = this.decode(body, namespace);
    obj.metadata.name = name;
    return obj;
  }

  /**
   * PUT and PATCH share this path. As in kube-apiserver, a PUT body's uid is a precondition (409
   * when it names another object), while a patch that changes the uid is an invalid update (422).
   * A patch comes as `derive`: applied to the object read under the row lock, as kube-apiserver's
   * GuaranteedUpdate applies it to what it read and tries again on a conflict, so a concurrent
   * write never fails a patch without a resourceVersion of its own.
   */
  private async updateFrom(
    origin: 'put' | 'patch',
    namespace: string,
    name: string,
    /** The request body, or a Derivation (see isDerivation). */
    body: unknown,
    options: WriteOptions,
    tracking: Tracking,
  ): Promise<WriteResult> {
    const derive = isDerivation<T>(body) ? body.derive : null;
    const requested = derive ? null : this.requestedBody(body, namespace, name);
    let requestedRv = requested?.metadata.resourceVersion;
    let readRv: string | undefined;
    const result = await this.db.transaction(
      async (tx) => {
        const old = await this.storage.get(tx, this.nsKey(namespace), name, true);
        // A missing object is 404 before the resourceVersion is looked at (no create on update).
        if (!old) throw ApiError.notFound(this.ref, name);
        readRv = old.metadata.resourceVersion;
        let obj: T;
        if (derive) {
          const current = structuredClone(old);
          await this.decorate(tx, [current]);
          obj = this.requestedBody(derive(this.withType(current)), namespace, name);
          requestedRv = obj.metadata.resourceVersion;
        } else {
          // Each run (Database.transaction runs fn again after a deadlock or a closed version) starts
          // from the request: writeLocked rewrites it in place (a spec tag's generation 0, asking for
          // a re-import, becomes the new generation; managedFields become the tracked entries).
          obj = structuredClone(requested!);
        }
        const uid = obj.metadata.uid;
        if (uid && uid !== old.metadata.uid) {
          if (origin === 'put') {
            throw ApiError.conflict(this.ref, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${old.metadata.uid}`);
          }
          throw this.invalid(obj, [fieldErr.invalid('metadata.uid', uid, 'field is immutable')]);
        }
        // The storage versioner reads "" and "0" alike: no version.
        if (!requestedRv || requestedRv === '0') {
          if (!this.info.allowUnconditionalUpdate) throw ApiError.resourceVersionRequired(this.ref, name);
          obj.metadata.resourceVersion = old.metadata.resourceVersion;
        } else if (old.metadata.resourceVersion !== requestedRv) throw ApiError.staleResourceVersion(this.ref, name);
        const { stored, removed } = await this.writeLocked(tx, obj, old, false, tracking);
        if (!removed) await this.decorate(tx, [stored]);
        return stored;
      },
      { rollback: options.dryRun },
    );
    // A dry run leaves the stored object, and so its resourceVersion, as it was.
    if (options.dryRun) result.metadata.resourceVersion = readRv;
    return { code: 200, body: this.withType(result), ...this.warningsOf(result) };
  }

  /**
   * Internal update for trusted writers (virtual kinds such as ImageStreamTag): under the row
   * lock, `fn` turns a copy of the stored (undecorated) object into the next one and may write
   * out-of-row state in the same transaction; the result then takes the main update path
   * (strategy, validation, hooks, resourceVersion, change log). There is no resourceVersion
   * precondition: the row lock makes the read-modify-write atomic. `project` builds the answer
   * inside the transaction, so dry runs see their own write. 404 when the object is missing.
   * Field ownership stays as stored unless `trackAs` names the manager to record the write as
   * (a controller whose changes users should see as owned, as kube-apiserver records them).
   */
  async mutate<R>(
    namespace: string,
    name: string,
    fn: (current: T, tx: Queryable) => Promise<Mutation<T>>,
    project: (tx: Queryable, stored: T, previous: T, changed: boolean) => Promise<R>,
    options: WriteOptions,
    trackAs?: string,
  ): Promise<R> {
    return this.db.transaction(
      async (tx) => {
        const { stored, old, changed } = await this.mutateWithin(tx, namespace, name, fn, trackAs);
        // A dry run leaves the stored object, and so its resourceVersion, as it was (views answer the stream's).
        if (options.dryRun) stored.metadata.resourceVersion = old.metadata.resourceVersion;
        return project(tx, stored, old, changed);
      },
      { rollback: options.dryRun },
    );
  }

  /**
   * `mutate` inside the caller's transaction (a write whose consequence is another object's
   * update, e.g. a quota's status.used when a stream is created): the row is locked until the
   * caller commits.
   */
  async mutateWithin(
    tx: Queryable,
    namespace: string,
    name: string,
    fn: (current: T, tx: Queryable) => Promise<Mutation<T>>,
    trackAs?: string,
  ): Promise<{ stored: T; old: T; changed: boolean }> {
    const old = await this.storage.get(tx, this.nsKey(namespace), name, true);
    if (!old) throw ApiError.notFound(this.ref, name);
    const { next, touched } = await fn(structuredClone(old), tx);
    next.metadata = { ...next.metadata, name, namespace: this.info.namespaced ? namespace : undefined };
    const { stored, changed } = await this.writeLocked(tx, next, old, touched === true, trackAs !== undefined ? { manager: trackAs } : 'as-is');
    return { stored, old, changed };
  }

  /** The main update path once the row is locked; writes only when something changed. */
  private async writeLocked(
    tx: Queryable,
    obj: T,
    old: T,
    touched: boolean,
    tracking: Tracking,
  ): Promise<{ stored: T; changed: boolean; removed?: boolean }> {
    const name = old.metadata.name!;
    const namespace = this.nsKey(old.metadata.namespace ?? '');
    obj.metadata.uid = old.metadata.uid;
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
    // As the storage layer's PrepareObjectForStorage: selfLink is never stored.
    delete obj.metadata.selfLink;
    if (obj.metadata.generateName === undefined && old.metadata.generateName !== undefined) {
      obj.metadata.generateName = old.metadata.generateName;
    }
    // Only a delete sets the deletion fields, and an update never clears them (kube-apiserver's BeforeUpdate).
    const deletionErrors = deletionFieldUpdateErrors(obj.metadata, old.metadata);
    obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    obj.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    if (obj.metadata.deletionTimestamp === undefined) delete obj.metadata.deletionTimestamp;
    if (obj.metadata.deletionGracePeriodSeconds === undefined) delete obj.metadata.deletionGracePeriodSeconds;
    await this.hooks.admit?.(tx, obj, old);
    this.strategy.prepareForUpdate(obj, old);
    const errors = [
      ...this.track(obj, old, tracking),
      ...this.validateMeta(obj),
      ...deletionErrors,
      ...this.validateFinalizerUpdate(obj, old),
      ...this.strategy.validateUpdate(obj, old),
    ];
    if (errors.length) throw this.invalid(obj, this.hooks.explainInvalid ? await this.hooks.explainInvalid(tx, obj, old, errors) : errors);
    this.strategy.canonicalize(obj);
    const storageErrors = (await this.hooks.validateWithStorage?.(tx, obj, old)) ?? [];
    if (storageErrors.length) throw this.invalid(obj, storageErrors);
    // As kube-apiserver's IgnoreManagedFieldsTimestampsTransformer: a write that changes nothing
    // but managedFields timestamps (a manager's value rewritten by admission back to what was
    // stored, a re-apply in a later second) keeps the stored managedFields and is a no-op.
    const unchanged = jsonEqual(withoutManagedTimes(obj), withoutManagedTimes(old));
    if (unchanged && !touched) (obj.metadata as ManagedMeta).managedFields = (old.metadata as ManagedMeta).managedFields;
    const changed = !unchanged || touched;
    if (changed && obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.length && (this.strategy.deletableDuringUpdate?.(obj) ?? true)) {
      // The last finalizer of an object being deleted is gone: the delete completes now. As
      // kube-apiserver (Store.Update → deleteWithoutFinalizers), the stored state is what goes:
      // watchers' DELETED carries it, finalizers included; the update answers the object without them.
      await this.decorate(tx, [old]);
      const removed = await this.removeLocked(tx, old);
      return { stored: { ...removed, metadata: { ...removed.metadata, finalizers: undefined } }, changed, removed: true };
    }
    if (changed) {
      const rv = await allocateResourceVersion(tx);
      await this.storage.update(tx, obj, rv);
      await this.hooks.afterWrite?.(tx, obj, old, rv);
      await appendChange(tx, this.change(obj, rv, 'MODIFIED', old));
    }
    const stored = await this.storage.get(tx, namespace, name);
    return { stored: stored!, changed };
  }

  /** While an object waits for its finalizers, no new one may be added (apimachinery's ValidateObjectMetaUpdate). */
  private validateFinalizerUpdate(obj: T, old: T): FieldError[] {
    if (!old.metadata.deletionTimestamp) return [];
    const before = new Set(old.metadata.finalizers ?? []);
    const added = (obj.metadata.finalizers ?? []).filter((f) => !before.has(f));
    if (!added.length) return [];
    return [fieldErr.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`)];
  }

  /** Removes the locked row and logs the DELETED change; `old` is decorated. Returns the last state. */
  private async removeLocked(tx: Queryable, old: T, propagation?: DeletionPropagation): Promise<T> {
    await this.hooks.beforeRemove?.(tx, old, propagation);
    const rv = await allocateResourceVersion(tx);
    await this.storage.remove(tx, this.nsKey(old.metadata.namespace ?? ''), old.metadata.name!);
    const last = this.withType({ ...old, metadata: { ...old.metadata, resourceVersion: rv } });
    await appendChange(tx, this.change(old, rv, 'DELETED', old, last));
    return last;
  }

  async patch(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult> {
    if (type === 'apply') return this.apply(namespace, name, patch, options);
    // Applied to the object read under the row lock: it keeps that version unless the patch names
    // one (a precondition) or removes it (upstream's store then finds none: 422, or an
    // unconditional update where the kind allows one).
    const derive = (current: T): T => {
      let patched: T;
      try {
        patched = applyPatchDocument(type, current, patch, this.info.mergeKeys) as T;
      } catch (e) {
        // A strategic patch's errors quote its maps (`unknown patch type: x in map: map[…]`): not a secret kind's.
        if (this.info.secretBodies && e instanceof ApiError) throw new ApiError(e.code, e.reason, withoutQuotedMaps(e.message), e.details);
        throw e;
      }
      if (!isJsonObject(patched.metadata)) throw ApiError.badRequest('metadata must be an object');
      return patched;
    };
    return this.updateFrom('patch', namespace, name, { derive }, options, trackingOf(options));
  }

  /**
   * Server-side apply (`application/apply-patch+yaml`): merges the configuration into the live
   * object with field ownership (see applyConfiguration), creating the object when it is missing
   * (201). A resourceVersion in the configuration is a precondition; a conflict with our own read
   * is retried.
   */
  private async apply(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const shapes = this.shapes();
    const config = checkApplyConfiguration(this.info, shapes, body, namespace, name);
    const writer = this.writerOf(options.fieldManager ?? '');
    const preconditionRv = this.patchedResourceVersion('apply', config);
    const applied = (current: T | null) => {
      const live = current as unknown as Record<string, unknown> | null;
      const { object, managedFields } = applyConfiguration(shapes, live, current && (current.metadata as ManagedMeta).managedFields, config, writer, options.force === true, nowTimestamp());
      const meta = object['metadata'] as ManagedMeta;
      meta.managedFields = managedFields;
      // kubectl switching from client-side to server-side apply: keep its annotation in step.
      if (writer.manager === KUBECTL_APPLY_MANAGER && current?.metadata.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined) {
        meta.annotations = { ...meta.annotations, [LAST_APPLIED_ANNOTATION]: lastAppliedValue(config) };
      }
      return { object, meta };
    };
    for (let attempt = 1; ; attempt++) {
      const exists = (await this.current(namespace, name)) !== null;
      try {
        if (!exists) {
          // As kube-apiserver's applyPatch: a uid names an object that is not there (409); a
          // resourceVersion is no precondition on a create (storage clears it).
          const uid = appliedUid(config);
          if (uid !== undefined) {
            throw ApiError.conflict(this.ref, name, `uid mismatch: the provided object specified uid ${uid}, and no existing object was found`);
          }
          const { object, meta } = applied(null);
          meta.name = name;
          return await this.createTracked(namespace, object, options, 'as-is');
        }
        // Merged into the object read under the row lock (see updateFrom): a concurrent write
        // cannot make it conflict unless the configuration names a resourceVersion.
        const derive = (current: T) => {
          const { object, meta } = applied(current);
          meta.resourceVersion = preconditionRv ?? current.metadata.resourceVersion;
          return object;
        };
        return await this.updateFrom('patch', namespace, name, { derive }, options, 'as-is');
      } catch (e) {
        // Someone else created or deleted the object between our look and the write: apply again.
        const ours = e instanceof ApiError && (e.reason === 'AlreadyExists' || (preconditionRv === undefined && e.reason === 'NotFound'));
        if (ours && attempt < maxPatchAttempts) continue;
        throw e;
      }
    }
  }

  private patchedResourceVersion(type: PatchType, patch: unknown): string | undefined {
    if (type === 'json') {
      if (!Array.isArray(patch)) return undefined;
      const op = (patch as { op?: string; path?: string; value?: unknown }[]).find(
        (o) => (o.op === 'replace' || o.op === 'add') && o.path === '/metadata/resourceVersion',
      );
      return typeof op?.value === 'string' ? op.value : undefined;
    }
    const meta = isJsonObject(patch) ? patch['metadata'] : undefined;
    const rv = isJsonObject(meta) ? meta['resourceVersion'] : undefined;
    return typeof rv === 'string' && rv !== '' ? rv : undefined;
  }

  /**
   * A delete of an object with finalizers only marks it (deletionTimestamp, grace period 0); the
   * update that removes the last finalizer deletes it. The answer is the object, as upstream.
   */
  private async markDeleting(tx: Queryable, old: T, adjust?: (next: T) => void, dryRun = false, finalizers?: string[]): Promise<object> {
    const refinalized = finalizers !== undefined && !jsonEqual(finalizers, old.metadata.finalizers ?? []);
    if (!old.metadata.deletionTimestamp || refinalized) {
      const next = structuredClone(old);
      if (!next.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = nowTimestamp();
        // As kube-apiserver's markAsDeleting: the first mark moves a generation that is set.
        if (next.metadata.generation !== undefined && next.metadata.generation > 0) next.metadata.generation += 1;
        adjust?.(next);
      }
      next.metadata.deletionGracePeriodSeconds = 0;
      if (finalizers?.length) next.metadata.finalizers = finalizers;
      else if (finalizers) delete next.metadata.finalizers;
      const rv = await allocateResourceVersion(tx);
      await this.storage.update(tx, next, rv);
      await appendChange(tx, this.change(next, rv, 'MODIFIED', old));
    }
    const stored = (await this.storage.get(tx, this.nsKey(old.metadata.namespace ?? ''), old.metadata.name!))!;
    await this.decorate(tx, [stored]);
    // A dry run leaves the stored object, and so its resourceVersion, as it was.
    if (dryRun) stored.metadata.resourceVersion = old.metadata.resourceVersion;
    return this.withType(stored);
  }

  /**
   * The first half of a delete that completes later (a namespace empties first): sets
   * deletionTimestamp (and what `adjust` changes, e.g. a Terminating phase) in one MODIFIED
   * change and answers the object; a later `delete` removes it. Already marked: answered
   * unchanged. 404 when missing.
   */
  async markForDeletion(namespace: string, name: string, options: WriteOptions, adjust?: (next: T) => void): Promise<object> {
    return this.db.transaction(
      async (tx) => {
        // Read under the row lock: of concurrent deletes, one marks and the others see the mark.
        const old = await this.storage.get(tx, this.nsKey(namespace), name, true);
        if (!old) throw ApiError.notFound(this.ref, name);
        return this.markDeleting(tx, old, adjust, options.dryRun);
      },
      { rollback: options.dryRun },
    );
  }

  /**
   * DeleteOptions.preconditions, checked on the object read (the row is locked), worded as
   * kube-apiserver's rest.BeforeDelete words them: the conflict names the kind, not the resource.
   */
  private checkDeletePreconditions(old: T, options: DeleteOptions): void {
    const pre = options.preconditions;
    const byKind = { group: this.info.group, resource: this.info.kind };
    const name = old.metadata.name!;
    // A precondition given as "" is still one (Go's *string is set): it matches no stored object.
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw ApiError.conflict(
        byKind,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw ApiError.conflict(
        byKind,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
      );
    }
  }

  /**
   * What Kubernetes' garbage collector does for an object marked with `orphan` or
   * `foregroundDeletion`, done at once in the delete's transaction: the only dependents here are
   * Deliveries, which the delivery collector deletes or orphans after their owner is removed
   * (beforeRemove, with the policy the finalizer stands for), and nothing waits on them. So the
   * DELETE answers the object carrying the finalizer (as kube-apiserver) and watchers see that
   * MODIFIED, then the finalizer's removal: DELETED (still carrying it), or MODIFIED while other
   * finalizers hold it.
   */
  private async collectGarbage(tx: Queryable, namespace: string, name: string): Promise<void> {
    const marked = (await this.storage.get(tx, this.nsKey(namespace), name))!;
    const finalizers = marked.metadata.finalizers ?? [];
    const remaining = finalizers.filter((f) => !isGarbageCollectorFinalizer(f));
    if (remaining.length) {
      const next = structuredClone(marked);
      next.metadata.finalizers = remaining;
      const rv = await allocateResourceVersion(tx);
      await this.storage.update(tx, next, rv);
      await appendChange(tx, this.change(next, rv, 'MODIFIED', marked));
      return;
    }
    await this.decorate(tx, [marked]);
    const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : 'Foreground';
    // Kubernetes' collector removes its finalizer with an update, which deletes the stored state:
    // the DELETED event carries the finalizer, as the one after a user's last finalizer does.
    await this.removeLocked(tx, marked, policy);
  }

  async delete(namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    return this.db.transaction(
      async (tx) => {
        const old = await this.storage.get(tx, this.nsKey(namespace), name, true);
        if (!old) throw ApiError.notFound(this.ref, name);
        this.checkDeletePreconditions(old, options);
        const finalizers = finalizersAfterDelete(old.metadata.finalizers ?? [], options.propagationPolicy, this.strategy.garbageCollectionUnsupported);
        if (finalizers.length) {
          const marked = await this.markDeleting(tx, old, undefined, options.dryRun, finalizers);
          if (finalizers.some(isGarbageCollectorFinalizer)) await this.collectGarbage(tx, namespace, name);
          return { code: 200, body: marked };
        }
        await this.decorate(tx, [old]);
        await this.removeLocked(tx, old, options.propagationPolicy);
        return {
          code: 200,
          body: successStatus({ name, group: this.info.group, kind: this.ref.resource, uid: old.metadata.uid }),
        };
      },
      { rollback: options.dryRun },
    );
  }
}

/** The uid an apply configuration names, if any. */
function appliedUid(config: unknown): string | undefined {
  const meta = isJsonObject(config) ? config['metadata'] : undefined;
  const uid = isJsonObject(meta) ? meta['uid'] : undefined;
  return typeof uid === 'string' && uid !== '' ? uid : undefined;
}
