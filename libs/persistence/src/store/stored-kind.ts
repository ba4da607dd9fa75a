import { type ApiObject, apiVersionOf, jsonEqual, refOf, type ResourceInfo } from '@app/api-machinery';
import type { ChangeRecord } from '../change-log';
import type { Queryable } from '../database';
import type { SnapshotSource } from './list-snapshot';
import type { StoreHooks } from './store-hooks';
import type { TableStorage } from './table-storage';

/**
 * A stored kind as every path of the generic store sees it: its table, how its objects are keyed
 * and served (type meta, computed state), and what a write of one logs in the change log.
 */
export class StoredKind<T extends ApiObject> implements SnapshotSource<T> {
  constructor(
    readonly info: ResourceInfo,
    readonly storage: TableStorage<T>,
    private readonly hooks: Pick<StoreHooks<T>, 'decorate' | 'snapshotMarkSql' | 'loggedObject'>,
  ) {}

  get ref() {
    return refOf(this.info);
  }

  nsKey(namespace: string): string {
    return this.info.namespaced ? namespace : '';
  }

  /** Wire order: kind, apiVersion, metadata, then the rest (jsonb does not keep key order). */
  withType(obj: T): T {
    const { kind: _k, apiVersion: _a, metadata, ...rest } = obj;
    return { kind: this.info.kind, apiVersion: apiVersionOf(this.info), metadata, ...rest } as unknown as T;
  }

  async decorate(q: Queryable, objs: T[], marks?: (string | null | undefined)[]): Promise<T[]> {
    if (this.hooks.decorate && objs.length) await this.hooks.decorate(q, objs, marks);
    return objs;
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

  /** The change-log entry of a write of `obj` at `rv` (`object`: what a DELETED logs, when not `obj`). */
  change(obj: T, rv: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', prev: T | null, object?: object): ChangeRecord {
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
}
