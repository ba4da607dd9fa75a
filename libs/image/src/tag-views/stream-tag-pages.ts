import { ApiError, type ApiObject, encodeContinue, type ListOptions, type ListResult, matchesFields } from '@app/api-machinery';
import { currentResourceVersion, type Database, type GenericStore, type PageQuery, type Queryable, resumeList, type TableStorage } from '@app/persistence';
import type { ImageStream } from '../imagestream/imagestream.types';

/** What one tag-view kind (ImageStreamTag, ImageTag) contributes to its paged list. */
export interface StreamTagLister<V extends ApiObject> {
  /** Each stream's list items (no kind/apiVersion), in tag order, one array per stream. */
  itemsOf(tx: Queryable, streams: ImageStream[]): Promise<V[][]>;
  /** How many items the streams with these uids would give (for remainingItemCount). */
  countOf(tx: Queryable, streamUids: string[]): Promise<number>;
}

/**
 * A list of stream-tag views in key order (namespace, stream, tag), paged with `limit` and
 * `continue` as kube-apiserver pages a stored kind: a page with more after it carries a continue
 * token (the first page's snapshot version and the last item's key) and, when nothing is
 * selected, `remainingItemCount`; later pages report the first page's resourceVersion, keep to
 * the streams that existed then, and a token older than the retained change log is 410.
 * Streams are read in batches of `limit` + 1 (doubling, up to 1,024 or the limit, while they
 * hold too few tags, e.g. streams with only spec tags), so a page costs what its streams cost,
 * not the whole collection. Label selectors are the streams' (a view's labels are its stream's).
 */
export async function listStreamTagViews<V extends ApiObject>(
  db: Database,
  streams: TableStorage<ImageStream>,
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
      if (options.continueToken) {
        const token = await resumeList(tx, options.continueToken, options.namespace, true);
        // `<stream>:<tag>`: a stream name has no `:`, a tag may (a mapping can name one so).
        const colon = token.name.indexOf(':');
        if (colon <= 0) throw ApiError.badRequest('continue key is not valid: invalid continue token');
        memberRv = token.rv;
        listRv = token.listRv ?? token.rv;
        from = { namespace: token.namespace, stream: token.name.slice(0, colon), tag: token.name.slice(colon + 1) };
      } else {
        memberRv = listRv = await currentResourceVersion(tx);
      }
      const streamsAfter = (after: PageQuery['after']): PageQuery => ({
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        // A view's namespace is its stream's: that requirement narrows the streams read.
        fieldSelector: options.fieldSelector.filter((f) => f.field === 'metadata.namespace'),
        after,
        createdAtOrBefore: options.continueToken ? memberRv : undefined,
      });
      const limit = options.limit && options.limit > 0 ? options.limit : undefined;
      let batch = limit !== undefined ? limit + 1 : undefined;
      const maxBatch = limit !== undefined ? Math.max(limit + 1, 1024) : undefined;
      const items: V[] = [];
      // For each item: its stream, and how many items of that stream follow it (all of them match without a field selector).
      const streamOf: ImageStream[] = [];
      const restOfStream: number[] = [];
      let after: PageQuery['after'] = from ? { namespace: from.namespace, name: from.stream, inclusive: true } : undefined;
      for (;;) {
        const page = await streams.list(tx, { ...streamsAfter(after), limit: batch });
        const perStream = await lister.itemsOf(tx, page);
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
      const remainingItemCount = counted ? restOfStream[limit - 1]! + (await lister.countOf(tx, await streams.uids(tx, streamsAfter(lastKey)))) : undefined;
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
