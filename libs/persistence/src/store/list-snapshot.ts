import { type ApiObject, matchesFields, matchesLabels } from '@app/api-machinery';
import type { Queryable } from '../database';
import { objectKey, statesAt, type UnrebuildableStates } from './states-at-version';
import type { PageQuery, TableStorage } from './table-storage';

/** One object of a list snapshot: its current row, or its state rebuilt from the change log. */
export interface SnapshotEntry<T> {
  object: T;
  /** Set when rebuilt from the change log: its computed state is filled in as of this mark. */
  logged?: { mark: string | null };
}

/** What a snapshot reads of a stored kind (a GenericStore is one). */
export interface SnapshotSource<T extends ApiObject> {
  readonly info: { resource: string; namespaced: boolean };
  readonly storage: TableStorage<T>;
  fieldsOf(obj: object): Record<string, string>;
  decorate(q: Queryable, objs: T[], marks?: (string | null | undefined)[]): Promise<unknown>;
}

type Key = readonly [namespace: string, name: string];

const keyOf = (o: ApiObject): Key => [o.metadata.namespace ?? '', o.metadata.name ?? ''];

/** Key order (namespace, then name), as the tables list rows. */
function byKey(a: Key, b: Key): number {
  return a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function isAfter(key: Key, after: PageQuery['after']): boolean {
  if (!after) return true;
  const order = byKey(key, [after.namespace, after.name]);
  return after.inclusive ? order >= 0 : order > 0;
}

/** Fields every logged object carries as stored; others (e.g. status.dockerImageRepository) are computed. */
const storedFields = new Set(['metadata.name', 'metadata.namespace']);

/**
 * A stored kind's objects as they were at version `rv` (see statesAt): objects unchanged since are
 * their current rows, read in SQL; the ones changed since come from the change log, filtered here.
 * A page reads its rows in key order, skipping the changed ones, plus the logged states, so its
 * cost follows the page and the changes since `rv`, not the collection.
 */
export class ListSnapshot<T extends ApiObject> {
  /** Logged states whose computed state is filled in already (to match computed fields). */
  private readonly decorated = new WeakSet<T>();

  private constructor(
    private readonly source: SnapshotSource<T>,
    readonly rv: string,
    private readonly changedSince: Set<string>,
    private readonly then: { object: T; mark: string | null }[],
  ) {}

  static async at<T extends ApiObject>(
    q: Queryable,
    source: SnapshotSource<T>,
    namespace: string | undefined,
    rv: string,
    unrebuildable: UnrebuildableStates,
  ): Promise<ListSnapshot<T>> {
    const { changedSince, then } = await statesAt(
      q,
      source.info.resource,
      source.info.namespaced ? namespace : undefined,
      rv,
      unrebuildable,
    );
    return new ListSnapshot(
      source,
      rv,
      changedSince,
      then.map((t) => ({ object: t.object as T, mark: t.mark })),
    );
  }

  private isChanged(o: ApiObject): boolean {
    return this.changedSince.has(objectKey(o.metadata.namespace, o.metadata.name));
  }

  /** The keys of the objects changed since `rv` after `after` (objectKey: neither part holds a `/`). */
  private changedAfter(after: PageQuery['after']): { namespaces: string[]; names: string[] } {
    const keys = { namespaces: [] as string[], names: [] as string[] };
    for (const key of this.changedSince) {
      const slash = key.indexOf('/');
      const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
      if (!isAfter([namespace, name], after)) continue;
      keys.namespaces.push(namespace);
      keys.names.push(name);
    }
    return keys;
  }

  /**
   * Current rows that are the snapshot's state: created by `rv` (an unchanged one was; an object
   * statesAt left to its current row is held to that, as before snapshots) and not changed since.
   */
  private current(page: PageQuery): PageQuery {
    return { ...page, createdAtOrBefore: this.rv };
  }

  /** The logged states after `page.after` that the page's selectors match, in key order. */
  async logged(q: Queryable, page: PageQuery): Promise<SnapshotEntry<T>[]> {
    const candidates = this.then.filter(
      ({ object }) =>
        isAfter(keyOf(object), page.after) && matchesLabels(page.labelSelector, object.metadata.labels ?? {}),
    );
    // A computed field (a stream's status.dockerImageRepository) is matched on the state as served.
    if (page.fieldSelector.some((f) => !storedFields.has(f.field))) {
      const bare = candidates.filter((c) => !this.decorated.has(c.object));
      await this.source.decorate(
        q,
        bare.map((c) => c.object),
        bare.map((c) => c.mark),
      );
      for (const c of bare) this.decorated.add(c.object);
    }
    return candidates
      .filter(({ object }) => matchesFields(page.fieldSelector, this.source.fieldsOf(object)))
      .sort((a, b) => byKey(keyOf(a.object), keyOf(b.object)))
      .map(({ object, mark }) => ({ object, logged: { mark } }));
  }

  /** Up to `page.limit` objects of the snapshot after `page.after` that the selectors match, in key order. */
  async page(q: Queryable, page: PageQuery): Promise<SnapshotEntry<T>[]> {
    const wanted = page.limit;
    const logged = await this.logged(q, page);
    const unchanged: T[] = [];
    if (wanted === undefined) {
      unchanged.push(
        ...(await this.source.storage.list(q, this.current(page))).filter((o) => !this.isChanged(o)),
      );
    } else {
      // Rows in key order, skipping the changed ones: each read asks for what is missing plus room
      // for up to `wanted` skips, so the rows read are the page's, the changed ones among them, and
      // at most `wanted` more per read; a read that comes back short leaves nothing after it.
      let changedLeft = this.changedAfter(page.after).names.length;
      let after = page.after;
      for (;;) {
        const asked = wanted - unchanged.length + Math.min(changedLeft, wanted);
        const rows = await this.source.storage.list(q, { ...this.current(page), after, limit: asked });
        for (const row of rows) {
          if (!this.isChanged(row)) unchanged.push(row);
          else changedLeft--;
        }
        const last = rows[rows.length - 1];
        if (rows.length < asked || !last) break;
        // Full once the rows and the logged states up to the last row read make a page.
        const lastKey = keyOf(last);
        if (unchanged.length + logged.filter((e) => byKey(keyOf(e.object), lastKey) <= 0).length >= wanted)
          break;
        after = { namespace: lastKey[0], name: lastKey[1] };
      }
    }
    const all = [...unchanged.map((object) => ({ object })), ...logged].sort((a, b) =>
      byKey(keyOf(a.object), keyOf(b.object)),
    );
    return wanted !== undefined ? all.slice(0, wanted) : all;
  }

  /** How many objects of the snapshot the page query matches after `page.after`, whatever its limit. */
  async count(q: Queryable, page: PageQuery): Promise<number> {
    const rows = await this.source.storage.count(q, this.current(page));
    const changedRows = await this.source.storage.keyedRows(
      q,
      this.current(page),
      this.changedAfter(page.after),
    );
    return rows - changedRows.length + (await this.logged(q, page)).length;
  }

  /** The uids of the current rows in the snapshot that the page query matches after `page.after`, in key order. */
  async unchangedUids(q: Queryable, page: PageQuery): Promise<string[]> {
    const uids = await this.source.storage.uids(q, this.current(page));
    const changed = new Set(
      (await this.source.storage.keyedRows(q, this.current(page), this.changedAfter(page.after))).map(
        (r) => r.uid,
      ),
    );
    return uids.filter((uid) => !changed.has(uid));
  }

  /** Fills in the computed state of entries: current rows as they are, logged states as of their marks. */
  async decorate(q: Queryable, entries: SnapshotEntry<T>[]): Promise<void> {
    await this.source.decorate(
      q,
      entries.filter((e) => !e.logged).map((e) => e.object),
    );
    const logged = entries.filter((e) => e.logged && !this.decorated.has(e.object));
    await this.source.decorate(
      q,
      logged.map((e) => e.object),
      logged.map((e) => e.logged!.mark),
    );
    for (const e of logged) this.decorated.add(e.object);
  }
}
