import { ApiError, type ContinueToken, continueTooOldMessage, decodeContinue, encodeContinue } from '@app/api-machinery';
import { compactedResourceVersion, currentResourceVersion } from '../change-log';
import type { Queryable } from '../database';

/**
 * The position a list's `continue` token resumes from, checked as kube-apiserver checks it: a
 * token that does not decode is 400, one from another namespace's list is 400 (upstream: a key
 * outside the list's prefix), and one older than the retained change log is 410 Expired carrying
 * a fresh token from the same position at the current version (etcd's compaction answer).
 */
export async function resumeList(tx: Queryable, raw: string, listNamespace: string | undefined, namespaced: boolean): Promise<ContinueToken> {
  const token = decodeContinue(raw);
  if (namespaced && listNamespace !== undefined && token.namespace !== listNamespace) {
    throw ApiError.badRequest('continue key is not valid: the continue token was issued for a different namespace');
  }
  const compacted = await compactedResourceVersion(tx);
  if (BigInt(token.rv) < BigInt(compacted)) {
    const current = await currentResourceVersion(tx);
    throw ApiError.gone(continueTooOldMessage, encodeContinue({ ...token, rv: current, listRv: current }));
  }
  return token;
}
