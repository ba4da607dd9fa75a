import type { FieldError } from './field-errors';
import type { ApiObject } from './object-meta.types';

/**
 * Per-kind rules for the generic store, after kubernetes/apiserver pkg/registry/rest.
 * Pure functions: they mutate only the object handed to them and never touch storage.
 */
export interface ResourceStrategy<T extends ApiObject> {
  /** Clear what clients may not set on create (status) and initialise generation. */
  prepareForCreate(obj: T): void;
  /** Kind-specific validation of a new object (metadata basics are checked by the store). */
  validate(obj: T): FieldError[];
  /** Normalise for storage: sort lists, fill defaults. */
  canonicalize(obj: T): void;
  /** Carry over what the write path must not change (e.g. status on the main path) and bump generation. */
  prepareForUpdate(obj: T, old: T): void;
  /** Validation of an update, including immutable fields. */
  validateUpdate(obj: T, old: T): FieldError[];
  /**
   * What the client should hear about an object that is stored anyway (kube's WarningsOnCreate /
   * WarningsOnUpdate): answered as `Warning` headers.
   */
  warnings?(obj: T): string[];
  /**
   * The kind takes no part in garbage collection (kube's DefaultGarbageCollectionPolicy
   * `Unsupported`): a delete neither adds nor keeps the `orphan`/`foregroundDeletion` finalizers,
   * whatever the propagation policy, so such an object goes at once.
   */
  readonly garbageCollectionUnsupported?: boolean;
  /**
   * A further condition for an update of an object being deleted, whose metadata.finalizers are
   * all gone, to complete the delete (kube's Store.ShouldDeleteDuringUpdate; a Namespace also
   * waits for its spec.finalizers). Absent: the drained metadata.finalizers are enough.
   */
  deletableDuringUpdate?(obj: T): boolean;
}
