import { ApiError } from '@app/api-machinery';
import { currentResourceVersion, type Database } from '@app/persistence';
import { checkResourceVersionParam } from './resource-version-param';

/** How long a read asking for a future resourceVersion waits for it (kube-apiserver's watch cache: 3 s). */
const WAIT_MS = 3000;
const POLL_MS = 50;

/**
 * A get or list with `resourceVersion=N` (N ≠ 0) must see at least N. Every version a client got
 * from this server is already committed, so a larger one is waited for briefly (another replica
 * may have just handed it out) and then refused as kube-apiserver refuses it: 504 Timeout,
 * "Too large resource version", cause ResourceVersionTooLarge, retry after 1 s.
 */
export async function awaitResourceVersion(db: Database, requested: string | undefined, waitMs = WAIT_MS): Promise<void> {
  if (requested === undefined || requested === '' || requested === '0') return;
  checkResourceVersionParam(requested);
  const wanted = BigInt(requested);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const current = await currentResourceVersion(db);
    if (wanted <= BigInt(current)) return;
    if (Date.now() >= deadline) throw ApiError.resourceVersionTooLarge(requested, current);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
