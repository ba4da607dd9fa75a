import { type ApiObject, encodeContinue, type ListOptions, type ListResult } from '@app/api-machinery';
import { currentResourceVersion } from '../change-log';
import type { Database, Queryable } from '../database';
import { CONSISTENT_READ_WAIT_MS, versionsComplete } from '../version-gap';
import { resumeList } from './list-continuation';
import { ListSnapshot, type SnapshotSource } from './list-snapshot';

/**
 * The list path of a stored kind: the consistent read of a first page, later pages from a
 * continue token, and lists at an exact resourceVersion, paginated, with remainingItemCount.
 */
export class ListReader<T extends ApiObject> {
  constructor(
    private readonly db: Database,
    private readonly kind: SnapshotSource<T>,
  ) {}

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
          const snapshot = await ListSnapshot.at<T>(tx, this.kind, options.namespace, settled, 'current');
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
      const token = await resumeList(tx, options.continueToken, options.namespace, this.kind.info.namespaced);
      const after = { namespace: token.namespace, name: token.name };
      // listRv: what the first page reported; token.rv: the newest version visible to it, at
      // which every later page reads the list (kube-apiserver reads them at the first page's
      // revision): the objects that existed then, in their state then.
      if (token.exact) return this.listAt(tx, token.rv, options, after);
      const snapshot = await ListSnapshot.at<T>(tx, this.kind, options.namespace, token.rv, 'current');
      return this.snapshotPage(tx, snapshot, options, after, token.listRv ?? token.rv, true);
    }
    return this.listAt(tx, options.exactResourceVersion!, options, undefined);
  }

  /** The first page of a list from the current rows, all of which are at or below `memberRv`. */
  private async currentPage(tx: Queryable, options: ListOptions, memberRv: string): Promise<ListResult<T>> {
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    const page = {
      namespace: this.kind.info.namespaced ? options.namespace : undefined,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    const rows = await this.kind.storage.list(tx, { ...page, limit: limit !== undefined ? limit + 1 : undefined });
    const more = limit !== undefined && rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    await this.kind.decorate(tx, items);
    const last = items[items.length - 1];
    const remainingItemCount =
      more && last && this.counted(options) ? await this.kind.storage.count(tx, { ...page, after: { namespace: last.metadata.namespace ?? '', name: last.metadata.name ?? '' } }) : undefined;
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
      namespace: this.kind.info.namespaced ? options.namespace : undefined,
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
    const snapshot = await ListSnapshot.at<T>(tx, this.kind, options.namespace, rv, 'expire');
    return this.snapshotPage(tx, snapshot, options, after, rv, false);
  }
}
