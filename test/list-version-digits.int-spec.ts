import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * Lists at a past version (resourceVersionMatch=Exact, a limit with a resourceVersion, the later
 * pages of a list) find each object's first change after that version. Versions are compared as
 * numbers: a change at "10" comes after one at "9". Each case runs on a database of its own, so
 * its versions start small and cross a power of ten within the case.
 */
describe('lists at a past version: versions crossing a power of ten', () => {
  let api: TestApi;
  const streams = (ns: string) => `${api.base}/namespaces/${ns}/imagestreams`;
  const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);
  const create = async (ns: string, name: string, labels: Record<string, string> = {}): Promise<string> => {
    const res = await call('POST', streams(ns), { metadata: { name, labels } });
    expect(res.status).toBe(201);
    return res.body.metadata.resourceVersion as string;
  };
  const relabel = async (ns: string, name: string, value: string): Promise<string> => {
    const res = await call('PATCH', `${streams(ns)}/${name}`, { metadata: { labels: { step: value } } }, 'application/merge-patch+json');
    expect(res.status).toBe(200);
    return res.body.metadata.resourceVersion as string;
  };
  /** Relabels `ns/name` until its version is `target` or more; its last version. */
  const relabelUntil = async (ns: string, name: string, from: string, target: bigint): Promise<string> => {
    let rv = from;
    for (let i = 0; BigInt(rv) < target; i++) rv = await relabel(ns, name, String(i));
    return rv;
  };
  /** The smallest power of ten above `rv`. */
  const nextPowerOfTen = (rv: string): bigint => 10n ** BigInt(rv.length);

  afterEach(async () => {
    await api?.close();
  });

  it('an Exact list (and a limit list) at a version finds an object created after it absent, though a later change of it sorts first as text', async () => {
    api = await startTestApi();
    const ns = 'digits-exact';
    const first = await create(ns, 'a');
    // a's versions up to P-2, b created at P-1 and changed at P ("10…0" sorts before "9…9" as text).
    const p = nextPowerOfTen(first) > BigInt(first) + 2n ? nextPowerOfTen(first) : nextPowerOfTen(first) * 10n;
    const at = await relabelUntil(ns, 'a', first, p - 2n);
    expect(at).toBe(String(p - 2n));
    const added = await create(ns, 'b');
    const changed = await relabel(ns, 'b', 'x');
    // The case holds only if b's two versions do sort the wrong way round as text.
    expect(BigInt(changed)).toBeGreaterThan(BigInt(added));
    expect(changed < added).toBe(true);

    const exact = await call('GET', `${streams(ns)}?resourceVersion=${at}&resourceVersionMatch=Exact`);
    expect(exact.status).toBe(200);
    expect(names(exact.body)).toEqual(['a']);
    expect(exact.body.items[0].metadata.resourceVersion).toBe(at);
    expect(exact.body.metadata.resourceVersion).toBe(at);

    const limited = await call('GET', `${streams(ns)}?resourceVersion=${at}&limit=1`);
    expect(limited.status).toBe(200);
    expect(names(limited.body)).toEqual(['a']);
    expect(limited.body.metadata.continue).toBeUndefined();
  });

  it("a later page of a list leaves out an object created after the first page, though a later relabel of it sorts first as text", async () => {
    api = await startTestApi();
    const ns = 'digits-continue';
    await create(ns, 'a');
    await create(ns, 'b');
    const url = `${streams(ns)}?limit=1`;
    const page1 = await call('GET', url);
    expect(page1.status).toBe(200);
    expect(names(page1.body)).toEqual(['a']);
    expect(page1.body.metadata.continue).toEqual(expect.any(String));
    const added = await create(ns, 'c');
    // Versions past the next power of ten, written elsewhere; then c relabelled (its prevObject logged).
    const filler = await create('digits-filler', 'f');
    await relabelUntil('digits-filler', 'f', filler, nextPowerOfTen(added) - 1n);
    const changed = await relabel(ns, 'c', 'x');
    expect(BigInt(changed)).toBeGreaterThan(BigInt(added));
    expect(changed < added).toBe(true);

    // The rest of the list (whatever the pages say), then the rest in one page.
    const rest: string[] = [];
    for (let page = page1.body; page.metadata.continue; ) {
      const next = await call('GET', `${url}&continue=${encodeURIComponent(page.metadata.continue)}`);
      expect(next.status).toBe(200);
      expect(next.body.metadata.resourceVersion).toBe(page1.body.metadata.resourceVersion);
      page = next.body;
      rest.push(...names(page));
    }
    // As kube-apiserver: the list at the first page's version, which c was not in.
    expect(rest).toEqual(['b']);
    const page2 = await call('GET', `${streams(ns)}?limit=5&continue=${encodeURIComponent(page1.body.metadata.continue)}`);
    expect(page2.status).toBe(200);
    expect(names(page2.body)).toEqual(['b']);
    expect(page2.body.metadata.continue).toBeUndefined();
  });
});
