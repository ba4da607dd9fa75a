import type { ApiObject, DeletionPropagation, FieldError } from '@app/api-machinery';
import type { Queryable } from '../database';

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
