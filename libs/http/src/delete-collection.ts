import { ApiError, type ApiObject, apiVersionOf, type DeleteOptions, type ListOptions } from '@app/api-machinery';
import type { ResourceHandler } from '@app/persistence';

/**
 * DELETE on a collection (`deletecollection`): deletes every object the selectors match, one
 * by one through the resource's own delete (each is its own transaction and watch event, as in
 * the Kubernetes apiserver). Objects already gone meanwhile are skipped. The answer is the list
 * of the objects deleted (as listed), as kube-apiserver returns it. As there, the list options apply as they
 * would to a list (a bad continue token is 400; limit deletes one page) and the delete options
 * to each delete (a failed precondition stops with 409).
 */
export async function deleteCollection(h: ResourceHandler, list: ListOptions, options: DeleteOptions): Promise<object> {
  const listed = await h.list!(list);
  const deleted: ApiObject[] = [];
  for (const item of listed.items as ApiObject[]) {
    try {
      await h.delete!(item.metadata.namespace ?? '', item.metadata.name!, options);
      // As a list's items: a typed list's items carry no kind/apiVersion.
      deleted.push(item);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
  // With a limit kube-apiserver answers the page as listed, `continue` and remainingItemCount
  // included, so a client can delete the rest page by page.
  const metadata = list.limit && list.limit > 0 ? listed.metadata : { resourceVersion: listed.metadata.resourceVersion };
  return { kind: h.info.listKind, apiVersion: apiVersionOf(h.info), metadata, items: deleted };
}
