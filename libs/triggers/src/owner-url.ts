import type { DeliveryRow } from './delivery-claim';
import { targetKeyOf } from './target-limiter';

/**
 * Points a claimed delivery at its owner's current spec.delivery.url when that changed after the
 * fire (a receiver's address fixed while retries were pending): the attempt goes there, as a
 * redrive does, so the headers and signature read from the owner at send time never reach an
 * address it no longer names. The outcome's write records the new URL. Returns whether it moved.
 */
export function followOwnerUrl(d: DeliveryRow): boolean {
  const url = d.delivery?.url;
  if (typeof url !== 'string' || url === '' || url === d.url) return false;
  d.url = url;
  d.target_key = targetKeyOf(url);
  d.retargeted = true;
  return true;
}
