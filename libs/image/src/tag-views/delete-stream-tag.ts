import { ApiError, type DeleteOptions, type ResourceRef } from '@app/api-machinery';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import type { StreamTagStore } from './stream-tag-store';

/**
 * istag/itag delete: under the stream's row lock, drops the spec tag and the tag's history
 * and conditions (Images stay); a tag that had an image feeds its loss to `tag_changes`, so its
 * dependents are evaluated in turn. 404 when the tag is in neither; a missing stream is a 404 of
 * the view named after the stream; `preconditions.uid` must be the stream's (409).
 */
export async function deleteStreamTag(
  tags: StreamTagStore,
  history: TagHistoryRepository,
  ref: ResourceRef,
  namespace: string,
  streamName: string,
  tag: string,
  name: string,
  options: DeleteOptions,
): Promise<void> {
  try {
    await tags.streams.mutate(
      namespace,
      streamName,
      async (current, tx) => {
        const uid = options.preconditions?.uid;
        if (uid !== undefined && uid !== current.metadata.uid) throw ApiError.conflict(ref, name, 'the UID precondition was not met');
        const deleted = await history.deleteTag(tx, current.metadata.uid!, tag, { namespace, stream: streamName, cause: 'delete' });
        const hadHistory = deleted.entries + deleted.conditions > 0;
        const before = current.spec.tags ?? [];
        const after = before.filter((t) => t.name !== tag);
        if (!hadHistory && after.length === before.length) throw ApiError.notFound(ref, name);
        return { next: { ...current, spec: { ...current.spec, tags: after } }, touched: hadHistory };
      },
      async () => undefined,
      options,
    );
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'NotFound' && e.details?.kind === 'imagestreams') throw ApiError.notFound(ref, streamName);
    throw e;
  }
}
