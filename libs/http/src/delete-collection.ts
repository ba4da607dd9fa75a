import { ApiError, type ApiObject, type DeleteOptions, type ListOptions, type Status, successStatus } from '@app/api-machinery';
import type { ResourceHandler } from '@app/persistence';

/**
 * DELETE on a collection (`deletecollection`): deletes every object the selectors match, one
 * by one through the resource's own delete (each is its own transaction and watch event, as in
 * the Kubernetes apiserver). Objects already gone meanwhile are skipped.
 */
export async function deleteCollection(h: ResourceHandler, list: ListOptions, options: DeleteOptions): Promise<Status> {
  const items = (await h.list!({ ...list, limit: undefined, continueToken: undefined })).items as ApiObject[];
  for (const item of items) {
    try {
      await h.delete!(item.metadata.namespace ?? '', item.metadata.name!, { dryRun: options.dryRun });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
  return successStatus();
}
