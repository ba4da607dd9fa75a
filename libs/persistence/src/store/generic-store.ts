import { randomUUID } from 'node:crypto';
import {
  ApiError,
  type ApiObject,
  applyConfiguration,
  checkApplyConfiguration,
  checkNameAgainstUrl,
  deletionFieldUpdateErrors,
  withoutQuotedMaps,
  applyPatchDocument,
  type DeleteOptions,
  fieldErr,
  jsonEqual,
  generateName,
  KUBECTL_APPLY_MANAGER,
  LAST_APPLIED_ANNOTATION,
  lastAppliedValue,
  type ListOptions,
  type ListResult,
  nowTimestamp,
  type PatchType,
  type ResourceInfo,
  type ResourceStrategy,
  type WriteOptions,
  type WriteResult,
  isJsonObject,
  uidPreconditionConflict,
} from '@app/api-machinery';
import { appendChange } from '../change-log';
import { type Database, pgErrorCode, type Queryable } from '../database';
import { allocateResourceVersion } from '../resource-version';
import { Deleter } from './deleter';
import { type ManagedMeta, shapesOf, type Tracking, trackingOf, trackWrite, withoutManagedTimes, writerOf } from './field-tracking';
import { ListReader } from './list-reader';
import type { ResourceHandler } from './resource-handler';
import type { StoreHooks } from './store-hooks';
import { StoredKind } from './stored-kind';
import type { TableStorage } from './table-storage';
import { decodeWriteBody, invalidObject, validateFinalizerUpdate, validateObjectMeta } from './write-validation';
import { garbageCollectorOf } from './garbage-collector';

const maxPatchAttempts = 5;

/**
 * A patch handed to an update path as how to make the body from the object read under the row
 * lock (`{ derive }`), rather than as a body: see GenericStore.updateFrom.
 */
export function isDerivation<T>(body: unknown): body is { derive: (current: T) => unknown } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as { derive?: unknown }).derive === 'function';
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
 * list pagination and the change log. Kinds plug in a strategy and a table. The write paths
 * (create, update, patch, apply, internal mutations) are here; the list path is a ListReader and
 * the deletion path a Deleter, over the same StoredKind.
 */
export class GenericStore<T extends ApiObject> implements ResourceHandler {
  private readonly kind: StoredKind<T>;
  private readonly lister: ListReader<T>;
  private readonly deleter: Deleter<T>;

  constructor(
    readonly info: ResourceInfo,
    private readonly db: Database,
    readonly storage: TableStorage<T>,
    private readonly strategy: ResourceStrategy<T>,
    private readonly hooks: StoreHooks<T> = {},
  ) {
    this.kind = new StoredKind(info, storage, hooks);
    this.lister = new ListReader(db, this.kind);
    this.deleter = new Deleter(db, this.kind, strategy, hooks);
    // A top-level kind inside garbage collection can be a dependent (subresource stores share its table).
    if (!info.resource.includes('/') && !strategy.garbageCollectionUnsupported && info.resource !== 'namespaces') {
      garbageCollectorOf(db).register({
        resource: info.resource,
        storage,
        delete: (namespace, name, options) => this.delete(namespace, name, options),
        update: async (namespace, name, change) => {
          await this.mutate(namespace, name, async (current) => ({ next: change(current) as T }), async () => undefined, { dryRun: false });
        },
      });
    }
  }

  async decorate(q: Queryable, objs: T[], marks?: (string | null | undefined)[]): Promise<T[]> {
    return this.kind.decorate(q, objs, marks);
  }

  /** Reads the stored object (decorated); 404 when missing. */
  async get(namespace: string, name: string): Promise<T> {
    const obj = await this.readDecorated(namespace, name);
    if (!obj) throw ApiError.notFound(this.kind.ref, name);
    return this.kind.withType(obj);
  }

  /**
   * The row and its computed state (a stream's tag history) from one snapshot: read separately,
   * a write committing in between showed history newer than the object's resourceVersion and
   * metadata. Kinds without computed state need no transaction.
   */
  private async readDecorated(namespace: string, name: string): Promise<T | null> {
    const read = async (q: Queryable) => {
      const obj = await this.storage.get(q, this.kind.nsKey(namespace), name);
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
    return copies.map((c) => this.kind.withType(c));
  }

  async current(namespace: string, name: string): Promise<T | null> {
    const obj = await this.readDecorated(namespace, name);
    return obj ? this.kind.withType(obj) : null;
  }

  /** Selectable field values of an object as served (pass a presented object for computed fields). */
  fieldsOf(obj: object): Record<string, string> {
    return this.kind.fieldsOf(obj);
  }

  list(options: ListOptions): Promise<ListResult<T>> {
    return this.lister.list(options);
  }

  private warningsOf(obj: T): { warnings?: string[] } {
    const warnings = this.strategy.warnings?.(obj) ?? [];
    return warnings.length ? { warnings } : {};
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
          throw ApiError.generateNameConflict(this.kind.ref, e.takenName);
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
    const obj = decodeWriteBody<T>(this.info, body, namespace);
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
    const errors = [...trackWrite(this.info, obj, null, tracking), ...validateObjectMeta(this.info, obj), ...this.strategy.validate(obj)];
    if (errors.length) {
      const hooks = this.hooks;
      const explained = hooks.explainInvalid ? await this.db.transaction((tx) => hooks.explainInvalid!(tx, obj, null, errors), { rollback: true }) : errors;
      throw invalidObject(this.info, obj, explained);
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
        const [held] = await tx.batch([this.storage.claimStatement(this.kind.nsKey(namespace), m.name!)]);
        const taken = held!.length > 0;
        // Each run (Database.transaction runs fn again after a deadlock or a closed version) starts
        // from the request: admission hooks rewrite the object (local image names resolved).
        const obj = structuredClone(validated);
        await this.hooks.admit?.(tx, obj, null);
        const storageErrors = (await this.hooks.validateWithStorage?.(tx, obj, null)) ?? [];
        if (storageErrors.length) throw invalidObject(this.info, obj, storageErrors);
        // After admission and validation, as the failed insert answered before: no version is taken.
        if (taken) throw generated ? new GeneratedNameTaken(m.name!) : ApiError.alreadyExists(this.kind.ref, m.name!);
        const rv = await allocateResourceVersion(tx);
        try {
          await this.storage.insert(tx, obj, rv);
        } catch (e) {
          if (pgErrorCode(e) === '23505') throw generated ? new GeneratedNameTaken(m.name!) : ApiError.alreadyExists(this.kind.ref, m.name!);
          throw e;
        }
        await writeWith?.(tx, obj);
        await this.hooks.afterWrite?.(tx, obj, null, rv);
        await appendChange(tx, this.kind.change(obj, rv, 'ADDED', null));
        const stored = await this.storage.get(tx, this.kind.nsKey(namespace), m.name!);
        await this.decorate(tx, [stored!]);
        return stored!;
      },
      { rollback: options.dryRun },
    );
    // A dry run's version was rolled back: it never existed, so it is not handed out (upstream: empty).
    if (options.dryRun) delete created.metadata.resourceVersion;
    return { code: 201, body: this.kind.withType(created), ...this.warningsOf(created) };
  }

  async update(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    return this.updateFrom('put', namespace, name, body, options, trackingOf(options));
  }

  /** A body, or how to make it from the object as stored (a patch, applied under the row lock). */
  private requestedBody(body: unknown, namespace: string, name: string): T {
    checkNameAgainstUrl(body, namespace, name);
    const obj = decodeWriteBody<T>(this.info, body, namespace);
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
    let removedOwner: T | null = null;
    const result = await this.db.transaction(
      async (tx) => {
        const old = await this.storage.get(tx, this.kind.nsKey(namespace), name, true);
        // A missing object is 404 before the resourceVersion is looked at (no create on update).
        if (!old) throw ApiError.notFound(this.kind.ref, name);
        readRv = old.metadata.resourceVersion;
        let obj: T;
        if (derive) {
          const current = structuredClone(old);
          await this.decorate(tx, [current]);
          obj = this.requestedBody(derive(this.kind.withType(current)), namespace, name);
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
            throw uidPreconditionConflict(this.kind.ref, namespace, name, uid, old.metadata.uid);
          }
          throw invalidObject(this.info, obj, [fieldErr.invalid('metadata.uid', uid, 'field is immutable')]);
        }
        // The storage versioner reads "" and "0" alike: no version.
        if (!requestedRv || requestedRv === '0') {
          if (!this.info.allowUnconditionalUpdate) throw ApiError.resourceVersionRequired(this.kind.ref, name);
          obj.metadata.resourceVersion = old.metadata.resourceVersion;
        } else if (old.metadata.resourceVersion !== requestedRv) throw ApiError.staleResourceVersion(this.kind.ref, name);
        const { stored, removed } = await this.writeLocked(tx, obj, old, false, tracking);
        if (!removed) await this.decorate(tx, [stored]);
        else removedOwner = old;
        return stored;
      },
      { rollback: options.dryRun },
    );
    // The update removed the last finalizer and with it the object: its dependents follow (Background).
    if (removedOwner && !options.dryRun) await garbageCollectorOf(this.db).ownerDeleted(removedOwner, 'Background');
    // A dry run leaves the stored object, and so its resourceVersion, as it was.
    if (options.dryRun) result.metadata.resourceVersion = readRv;
    return { code: 200, body: this.kind.withType(result), ...this.warningsOf(result) };
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
    const old = await this.storage.get(tx, this.kind.nsKey(namespace), name, true);
    if (!old) throw ApiError.notFound(this.kind.ref, name);
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
    const namespace = this.kind.nsKey(old.metadata.namespace ?? '');
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
      ...trackWrite(this.info, obj, old, tracking),
      ...validateObjectMeta(this.info, obj),
      ...deletionErrors,
      ...validateFinalizerUpdate(obj, old),
      ...this.strategy.validateUpdate(obj, old),
    ];
    if (errors.length) throw invalidObject(this.info, obj, this.hooks.explainInvalid ? await this.hooks.explainInvalid(tx, obj, old, errors) : errors);
    this.strategy.canonicalize(obj);
    const storageErrors = (await this.hooks.validateWithStorage?.(tx, obj, old)) ?? [];
    if (storageErrors.length) throw invalidObject(this.info, obj, storageErrors);
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
      const removed = await this.deleter.removeLocked(tx, old);
      return { stored: { ...removed, metadata: { ...removed.metadata, finalizers: undefined } }, changed, removed: true };
    }
    if (changed) {
      const rv = await allocateResourceVersion(tx);
      await this.storage.update(tx, obj, rv);
      await this.hooks.afterWrite?.(tx, obj, old, rv);
      await appendChange(tx, this.kind.change(obj, rv, 'MODIFIED', old));
    }
    const stored = await this.storage.get(tx, namespace, name);
    return { stored: stored!, changed };
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
    const shapes = shapesOf(this.info);
    const config = checkApplyConfiguration(this.info, shapes, body, namespace, name);
    const writer = writerOf(this.info, options.fieldManager ?? '');
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
            throw ApiError.conflict(this.kind.ref, name, `uid mismatch: the provided object specified uid ${uid}, and no existing object was found`);
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

  /** The first half of a delete that completes later: see Deleter.markForDeletion. */
  markForDeletion(namespace: string, name: string, options: WriteOptions, adjust?: (next: T) => void): Promise<object> {
    return this.deleter.markForDeletion(namespace, name, options, adjust);
  }

  delete(namespace: string, name: string, options: DeleteOptions): Promise<WriteResult> {
    return this.deleter.delete(namespace, name, options);
  }
}

/** The uid an apply configuration names, if any. */
function appliedUid(config: unknown): string | undefined {
  const meta = isJsonObject(config) ? config['metadata'] : undefined;
  const uid = isJsonObject(meta) ? meta['uid'] : undefined;
  return typeof uid === 'string' && uid !== '' ? uid : undefined;
}