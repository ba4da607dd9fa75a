/** Reads every 50 ms until `until` holds for the value read or `timeoutMs` has passed; returns the last value read. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  until: (value: T) => boolean,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}
