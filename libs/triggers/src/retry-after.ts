/**
 * How long a receiver asked the sender to wait before the next attempt, from its `Retry-After`
 * header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), in ms; null when absent or unreadable.
 * Standard Webhooks: a response carrying it (a 429 or 503) "should be taken into consideration when
 * scheduling the next attempt".
 */
export function retryAfterMs(header: string | string[] | undefined, nowMs = Date.now()): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP-date always names a weekday; this keeps bare numbers with signs or units out.
  if (!/^[A-Za-z]{3}/.test(value)) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
