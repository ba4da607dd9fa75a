import { ApiError, type ApiObject, encodeContinue, type ListOptions, type ListResult, matchesFields } from '@app/api-machinery';
import { currentResourceVersion, type Database, type GenericStore, ListSnapshot, type PageQuery, type Queryable, resumeList, type SnapshotEntry } from '@app/persistence';
import type { ImageStream } from '../imagestream/imagestream.types';

/** What one tag-view kind (ImageStreamTag, ImageTag) contributes to its paged list. */
export interface StreamTagLister<V extends ApiObject> {
  /** Each stream's list items (no kind/apiVersion), in tag order, one array per stream. */
  itemsOf(tx: Queryable, streams: ImageStream[]): Promise<V[][]>;
  /** How many items the streams with these uids would give (for remainingItemCount). */
  countOf(tx: Queryable, streamUids: string[]): Promise<number>;
  /**
   * A stream's list items (no kind/apiVersion), in tag order, from its status as filled in: a
   * stream as it was at an earlier version, with its tag history as of then.
   */
  itemsFrom(stream: ImageStream): V[];
}

/**
 * A list of stream-tag views in key order (namespace, stream, tag), paged with `limit` and
 * `continue` as kube-apiserver pages a stored kind: a page with more after it carries a continue
 * token (the first page's snapshot version and the last item's key) and, when nothing is
 * selected, `remainingItemCount`; later pages report the first page's resourceVersion and read
 * the streams as they were at its version (ListSnapshot, as a stream list's later pages: streams
 * deleted or relabelled since are there, created since are not, and a stream changed since gives
 * the tags of its state then), and a token older than the retained change log is 410.
 * Streams are read in batches of `limit` + 1 (doubling, up to 1,024 or the limit, while they
 * hold too few tags, e.g. streams with only spec tags), so a page costs what its streams cost,
 * not the whole collection. Label selectors are the streams' (a view's labels are its stream's).
 */
export async function listStreamTagViews<V extends ApiObject>(
  db: Database,
  streams: GenericStore<ImageStream>,
  options: ListOptions,
  lister: StreamTagLister<V>,
): Promise<ListResult<V>> {
  return db.transaction(
    async (tx) => {
      // The loose index scans over a page's streams are thousands of one-row probes that the
      // planner overestimates (recursive CTE) past jit_above_cost: compiling them took 100-200 ms
      // per page, many times what running them takes.
      await tx.query('SET LOCAL jit = off');
      let memberRv: string;
      let listRv: string;
      let from: { namespace: string; stream: string; tag: string } | undefined;
      // Later pages: the streams as they were at the first page's version.
      let snapshot: ListSnapshot<ImageStream> | undefined;
      if (options.continueToken) {
        const token = await resumeList(tx, options.continueToken, options.namespace, true);
        // `<stream>:<tag>`: a stream name has no `:`, a tag may (a mapping can name one so).
        const colon = token.name.indexOf(':');
        if (colon <= 0) throw ApiError.badRequest('continue key is not valid: invalid continue token');
        memberRv = token.rv;
        listRv = token.listRv ?? token.rv;
        from = { namespace: token.namespace, stream: token.name.slice(0, colon), tag: token.name.slice(colon + 1) };
        snapshot = await ListSnapshot.at(tx, streams, options.namespace, memberRv, 'current');
      } else {
        memberRv = listRv = await currentResourceVersion(tx);
      }
      const streamsAfter = (after: PageQuery['after']): PageQuery => ({
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        // A view's namespace is its stream's: that requirement narrows the streams read.
        fieldSelector: options.fieldSelector.filter((f) => f.field === 'metadata.namespace'),
        after,
      });
      const readStreams = async (page: PageQuery): Promise<SnapshotEntry<ImageStream>[]> =>
        snapshot ? snapshot.page(tx, page) : (await streams.storage.list(tx, page)).map((object) => ({ object }));
      // Current streams' items come from the tag tables; a stream's state from the change log gives
      // its own, its history filled in as of then.
      const itemsOfEntries = async (entries: SnapshotEntry<ImageStream>[]): Promise<V[][]> => {
        const logged = entries.filter((e) => e.logged);
        if (logged.length) await snapshot!.decorate(tx, logged);
        const current = entries.filter((e) => !e.logged);
        const currentItems = await lister.itemsOf(
          tx,
          current.map((e) => e.object),
        );
        const byEntry = new Map<SnapshotEntry<ImageStream>, V[]>(current.map((e, i) => [e, currentItems[i] ?? []]));
        return entries.map((e) => (e.logged ? lister.itemsFrom(e.object) : (byEntry.get(e) ?? [])));
      };
      const limit = options.limit && options.limit > 0 ? options.limit : undefined;
      let batch = limit !== undefined ? limit + 1 : undefined;
      const maxBatch = limit !== undefined ? Math.max(limit + 1, 1024) : undefined;
      const items: V[] = [];
      // For each item: its stream, and how many items of that stream follow it (all of them match without a field selector).
      const streamOf: ImageStream[] = [];
      const restOfStream: number[] = [];
      let after: PageQuery['after'] = from ? { namespace: from.namespace, name: from.stream, inclusive: true } : undefined;
      for (;;) {
        const entries = await readStreams({ ...streamsAfter(after), limit: batch });
        const perStream = await itemsOfEntries(entries);
        const page = entries.map((e) => e.object);
        page.forEach((stream, i) => {
          const streamItems = perStream[i] ?? [];
          const resumed = from && stream.metadata.namespace === from.namespace && stream.metadata.name === from.stream ? from.tag : undefined;
          const tagOf = (item: V) => (item.metadata.name ?? '').slice((stream.metadata.name ?? '').length + 1);
          streamItems.forEach((item, j) => {
            if (limit !== undefined && items.length > limit) return;
            if (resumed !== undefined && tagOf(item) <= resumed) return;
            if (!matchesFields(options.fieldSelector, { 'metadata.name': item.metadata.name ?? '', 'metadata.namespace': item.metadata.namespace ?? '' })) return;
            items.push(item);
            streamOf.push(stream);
            restOfStream.push(streamItems.length - 1 - j);
          });
        });
        const last = page[page.length - 1];
        if (batch === undefined || page.length < batch || items.length > limit! || !last) break;
        after = { namespace: last.metadata.namespace ?? '', name: last.metadata.name ?? '' };
        batch = Math.min(batch * 2, maxBatch!);
      }
      if (limit === undefined || items.length <= limit) return { metadata: { resourceVersion: listRv }, items };

      const shown = items.slice(0, limit);
      const last = shown[shown.length - 1]!;
      const lastKey = { namespace: last.metadata.namespace ?? '', name: streamOf[limit - 1]!.metadata.name ?? '' };
      // kube-apiserver counts what follows only when nothing is selected (with selectors its count would include non-matching objects).
      const counted = options.labelSelector.length === 0 && options.fieldSelector.length === 0;
      // The items of the streams after the page's last one: counted in SQL for current streams; a
      // stream's state from the change log (a page reads the changed streams anyway) by its items.
      const countAfter = async (key: { namespace: string; name: string }): Promise<number> => {
        if (!snapshot) return lister.countOf(tx, await streams.storage.uids(tx, streamsAfter(key)));
        const logged = await snapshot.logged(tx, streamsAfter(key));
        await snapshot.decorate(tx, logged);
        const loggedItems = logged.reduce((n, e) => n + lister.itemsFrom(e.object).length, 0);
        return loggedItems + (await lister.countOf(tx, await snapshot.unchangedUids(tx, streamsAfter(key))));
      };
      const remainingItemCount = counted ? restOfStream[limit - 1]! + (await countAfter(lastKey)) : undefined;
      return {
        metadata: {
          resourceVersion: listRv,
          continue: encodeContinue({ rv: memberRv, listRv, namespace: lastKey.namespace, name: last.metadata.name ?? '' }),
          ...(remainingItemCount !== undefined ? { remainingItemCount } : {}),
        },
        items: shown,
      };
    },
    { isolation: 'REPEATABLE READ' },
  );
}

/**
 * `resourceVersionMatch=Exact`: the views as they were at that version, built from the streams
 * the ImageStream store rebuilds at it (spec, labels and tag history as of then), reported at that
 * resourceVersion. openshift-apiserver answers so by handing the options to its stream list. The
 * whole list in one answer: `limit` is not applied (a server may return more than asked; the
 * stream list at a version reads the streams changed since anyway).
 */
export async function listStreamTagViewsAt<V extends ApiObject>(
  streams: GenericStore<ImageStream>,
  options: ListOptions,
  viewsOf: (stream: ImageStream) => V[],
): Promise<ListResult<V>> {
  const then = await streams.list({ ...options, fieldSelector: options.fieldSelector.filter((f) => f.field === 'metadata.namespace'), limit: undefined, continueToken: undefined });
  const items = then.items
    .flatMap(viewsOf)
    .filter((item) => matchesFields(options.fieldSelector, { 'metadata.name': item.metadata.name ?? '', 'metadata.namespace': item.metadata.namespace ?? '' }));
  return { metadata: { resourceVersion: then.metadata.resourceVersion }, items };
}
