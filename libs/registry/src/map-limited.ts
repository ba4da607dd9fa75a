/**
 * Runs `fn` over `items` with at most `limit` in flight, keeping order: registry calls fan out
 * (import lookups, resync HEADs) without opening more requests than the client's pool serves.
 * A dozen lines, so not worth a dependency (p-limit and friends are ESM-only).
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
