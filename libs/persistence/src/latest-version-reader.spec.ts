import { LatestVersionReader } from './latest-version-reader';

/** A fetch whose answers the test releases by hand, counting how many were started. */
function controlledFetch() {
  const pending: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  const fetch = () => new Promise<string>((resolve, reject) => pending.push({ resolve, reject }));
  return { fetch, pending };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('LatestVersionReader', () => {
  it('a caller alone gets its own query', async () => {
    const f = controlledFetch();
    const reader = new LatestVersionReader(f.fetch);
    const a = reader.read();
    expect(f.pending).toHaveLength(1);
    f.pending[0]!.resolve('7');
    await expect(a).resolves.toBe('7');
  });

  it('callers arriving while a query runs share the next one, never the running one', async () => {
    const f = controlledFetch();
    const reader = new LatestVersionReader(f.fetch);
    const first = reader.read();
    const late = [reader.read(), reader.read(), reader.read()];
    expect(f.pending).toHaveLength(1);
    f.pending[0]!.resolve('10');
    await expect(first).resolves.toBe('10');
    await tick();
    // One more query for all three late callers, started after they called.
    expect(f.pending).toHaveLength(2);
    f.pending[1]!.resolve('12');
    await expect(Promise.all(late)).resolves.toEqual(['12', '12', '12']);
  });

  it('a failed query fails its callers only; the queued ones get a fresh query', async () => {
    const f = controlledFetch();
    const reader = new LatestVersionReader(f.fetch);
    const first = reader.read();
    const late = reader.read();
    f.pending[0]!.reject(new Error('connection reset'));
    await expect(first).rejects.toThrow('connection reset');
    await tick();
    f.pending[1]!.resolve('3');
    await expect(late).resolves.toBe('3');
    const after = reader.read();
    expect(f.pending).toHaveLength(3);
    f.pending[2]!.resolve('4');
    await expect(after).resolves.toBe('4');
  });
});
