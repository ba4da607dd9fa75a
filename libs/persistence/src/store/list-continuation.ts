import { ApiError, type ContinueToken, continueTooOldMessage, decodeContinue, encodeContinue } from '@app/api-machinery';
import { compactedAndCurrentResourceVersions } from '../change-log';
import type { Queryable } from '../database';

/**
 * The position a list's `continue` token resumes from, checked as kube-apiserver checks it: a
 * token that does not decode is 400, one from another namespace's list is 400 (upstream: a key
 * outside the list's prefix), one older than the retained change log is 410 Expired carrying a
 * fresh token from the same position at the current version (etcd's compaction answer), and one
 * newer than the store is 504 ResourceVersionTooLarge (etcd: a future revision).
 */
export async function resumeList(tx: Queryable, raw: string, listNamespace: string | undefined, namespaced: boolean): Promise<ContinueToken> {
  const token = decodeContinue(raw);
  if (namespaced && listNamespace !== undefined && token.namespace !== listNamespace) {
    throw ApiError.badRequest('continue key is not valid: the continue token was issued for a different namespace');
  }
  const { compacted, current } = await compactedAndCurrentResourceVersions(tx);
  if (BigInt(token.rv) < BigInt(compacted)) {
    throw ApiError.gone(continueTooOldMessage, encodeContinue({ ...token, rv: current, listRv: current }));
  }
  // Every token this server hands out names a committed version: a later one was made elsewhere
  // (forged, or from a database since restored). Refused as a list at that version is, rather than
  // answered with a page stamped with a version the store has not reached.
  const stamped = token.listRv !== undefined && BigInt(token.listRv) > BigInt(token.rv) ? token.listRv : token.rv;
  if (BigInt(stamped) > BigInt(current)) throw ApiError.resourceVersionTooLarge(stamped, current);
  return token;
}
