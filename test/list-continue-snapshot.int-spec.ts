import { Client } from 'pg';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * Later pages of a list read it at the first page's version, as kube-apiserver reads a continue
 * token at its revision (storage.ValidateListOptions → etcd3 store GetList with that revision):
 * objects deleted, relabelled or modified after the first page are listed as they were then, and
 * objects created since are left out.
 */
describe('paged lists: later pages are the first page snapshot', () => {
  let api: TestApi;
  const streams = (ns: string) => `${api.base}/namespaces/${ns}/imagestreams`;
  const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);
  const mergePatch = (url: string, patch: unknown) =>
    call('PATCH', url, patch, 'application/merge-patch+json');
  const create = async (ns: string, name: string, labels: Record<string, string>) => {
    const res = await call('POST', streams(ns), { metadata: { name, labels } });
    expect(res.status).toBe(201);
    return res.body;
  };
  /** Follows the continue tokens from `first`, `limit` at a time; every page's answer. */
  const follow = async (url: string, first: any): Promise<any[]> => {
    const pages = [];
    let page = first;
    while (page.metadata.continue) {
      const res = await call('GET', `${url}&continue=${encodeURIComponent(page.metadata.continue)}`);
      expect(res.status).toBe(200);
      page = res.body;
      pages.push(page);
    }
    return pages;
  };

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: 'registry.test:5000' });
  });
  afterAll(async () => api?.close());

  it('q1–q4: a stream deleted, relabelled or modified after the first page is on a later page as it was then; one created since is not', async () => {
    const before: Record<string, any> = {};
    for (const name of ['q1', 'q2', 'q3', 'q4']) before[name] = await create('x', name, { grp: 'q' });
    const url = `${streams('x')}?limit=1&labelSelector=grp%3Dq`;
    const first = (await call('GET', url)).body;
    expect(names(first)).toEqual(['q1']);
    expect(first.metadata).toEqual({ resourceVersion: expect.any(String), continue: expect.any(String) });

    expect((await call('DELETE', `${streams('x')}/q3`)).status).toBe(200);
    expect((await mergePatch(`${streams('x')}/q2`, { metadata: { labels: { grp: 'other' } } })).status).toBe(
      200,
    );
    const modified = await mergePatch(`${streams('x')}/q4`, {
      metadata: { annotations: { touched: 'yes' } },
      spec: { lookupPolicy: { local: true } },
    });
    expect(modified.status).toBe(200);
    await create('x', 'q25', { grp: 'q' });

    const pages = await follow(url, first);
    expect(pages.map(names)).toEqual([['q2'], ['q3'], ['q4']]);
    for (const page of pages) expect(page.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const [q2, q3, q4] = pages.map((p) => p.items[0]);
    // Each as it was at the first page's version: labels, annotations, spec and resourceVersion then.
    expect(q2.metadata).toEqual(before['q2'].metadata);
    expect(q3.metadata).toEqual(before['q3'].metadata);
    expect(q4.metadata).toEqual(before['q4'].metadata);
    expect(q4.spec).toEqual(before['q4'].spec);
    expect(q4.status.dockerImageRepository).toEqual(before['q4'].status.dockerImageRepository);

    // A new list sees the current state.
    expect(names((await call('GET', `${streams('x')}?labelSelector=grp%3Dq`)).body)).toEqual([
      'q1',
      'q25',
      'q4',
    ]);
  });

  it('remainingItemCount (nothing selected) counts the snapshot: objects deleted since still count, ones created since do not', async () => {
    for (const name of ['p1', 'p2', 'p3', 'p4']) await create('counted', name, {});
    const url = `${streams('counted')}?limit=1`;
    const first = (await call('GET', url)).body;
    expect([names(first), first.metadata.remainingItemCount]).toEqual([['p1'], 3]);
    expect((await call('DELETE', `${streams('counted')}/p3`)).status).toBe(200);
    expect(
      (await mergePatch(`${streams('counted')}/p4`, { metadata: { labels: { moved: 'yes' } } })).status,
    ).toBe(200);
    await create('counted', 'p0', {});
    await create('counted', 'p5', {});
    const pages = await follow(url, first);
    expect(pages.map((p) => [names(p), p.metadata.remainingItemCount])).toEqual([
      [['p2'], 2],
      [['p3'], 1],
      [['p4'], undefined],
    ]);
    expect(pages[2].items[0].metadata.labels).toBeUndefined();
    // Two at a time, and one page for the rest.
    const two = (await call('GET', `${streams('counted')}?limit=2`)).body;
    expect([names(two), two.metadata.remainingItemCount]).toEqual([['p0', 'p1'], 3]);
    expect((await call('DELETE', `${streams('counted')}/p2`)).status).toBe(200);
    const rest = (
      await call('GET', `${streams('counted')}?limit=5&continue=${encodeURIComponent(two.metadata.continue)}`)
    ).body;
    expect(names(rest)).toEqual(['p2', 'p4', 'p5']);
    expect(rest.metadata.continue).toBeUndefined();
  });

  it('pages of any size after many writes across the list are the whole list as it was at the first page (remainingItemCount too)', async () => {
    const all = Array.from({ length: 14 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const name of all) await create('many', name, {});
    const whole = (await call('GET', streams('many'))).body;
    for (const limit of [1, 2, 3, 5]) {
      const url = `${streams('many')}?limit=${limit}`;
      const first = (await call('GET', url)).body;
      // Writes across the rest of the list, denser than a page: deletes, relabels, modifications, new objects.
      for (const [i, name] of all.entries()) {
        if (i < limit) continue;
        const path = `${streams('many')}/${name}`;
        if (i % 4 === 0) expect((await call('DELETE', path)).status).toBe(200);
        else if (i % 4 === 1)
          expect((await mergePatch(path, { metadata: { labels: { round: String(limit) } } })).status).toBe(
            200,
          );
        else if (i % 4 === 2)
          expect(
            (await mergePatch(path, { spec: { lookupPolicy: { local: limit % 2 === 1 } } })).status,
          ).toBe(200);
      }
      await create('many', `m0${limit}a`, {});
      await create('many', 'zz', {});
      const pages = await follow(url, first);
      expect([limit, [...first.items, ...pages.flatMap((p) => p.items)]]).toEqual([limit, whole.items]);
      let seen = first.items.length;
      for (const page of pages) {
        seen += page.items.length;
        expect([limit, page.metadata.resourceVersion, page.metadata.remainingItemCount]).toEqual([
          limit,
          first.metadata.resourceVersion,
          seen < whole.items.length ? whole.items.length - seen : undefined,
        ]);
      }
      // Back to the state `whole` shows, for the next round.
      for (const name of [`m0${limit}a`, 'zz'])
        expect((await call('DELETE', `${streams('many')}/${name}`)).status).toBe(200);
      for (const item of whole.items) {
        const now = await call('GET', `${streams('many')}/${item.metadata.name}`);
        if (now.status === 404) await create('many', item.metadata.name, {});
        else
          expect(
            (
              await call('PUT', `${streams('many')}/${item.metadata.name}`, {
                ...now.body,
                metadata: { ...now.body.metadata, labels: undefined },
                spec: item.spec,
              })
            ).status,
          ).toBe(200);
      }
      Object.assign(whole, (await call('GET', streams('many'))).body);
      expect(names(whole)).toEqual(all);
    }
  });

  it('objects relabelled into the selection after the first page are not on later pages (they did not match then)', async () => {
    await create('into', 'c0', { grp: 'in' });
    for (let i = 1; i <= 8; i++) await create('into', `d${i}`, {});
    await create('into', 'e9', { grp: 'in' });
    const url = `${streams('into')}?limit=1&labelSelector=grp%3Din`;
    const first = (await call('GET', url)).body;
    expect(names(first)).toEqual(['c0']);
    for (let i = 1; i <= 8; i++)
      expect(
        (await mergePatch(`${streams('into')}/d${i}`, { metadata: { labels: { grp: 'in' } } })).status,
      ).toBe(200);
    expect((await follow(url, first)).map(names)).toEqual([['e9']]);
  });

  it('a cluster-scoped kind (images) pages the same way', async () => {
    const image = (c: string) => `sha256:${c.repeat(64)}`;
    for (const c of ['a', 'b', 'c', 'd']) {
      expect(
        (
          await call('POST', `${api.base}/images`, {
            metadata: { name: image(c) },
            dockerImageReference: `quay.io/x/y@${image(c)}`,
          })
        ).status,
      ).toBe(201);
    }
    const whole = (await call('GET', `${api.base}/images`)).body;
    const url = `${api.base}/images?limit=1`;
    const first = (await call('GET', url)).body;
    const later = whole.items.slice(1).map((i: any) => i.metadata.name);
    expect(later.length).toBeGreaterThanOrEqual(3);
    expect((await call('DELETE', `${api.base}/images/${later[0]}`)).status).toBe(200);
    expect(
      (await mergePatch(`${api.base}/images/${later[1]}`, { metadata: { labels: { later: 'yes' } } })).status,
    ).toBe(200);
    const pages = await follow(url, first);
    expect([...first.items, ...pages.flatMap((p) => p.items)]).toEqual(whole.items);
    expect(pages.map((p) => p.metadata.remainingItemCount)).toEqual(
      later.map((_: string, i: number) => (i < later.length - 1 ? later.length - 1 - i : undefined)),
    );
  });

  it('a stream recreated after the first page is listed as it was (the old uid), its new state not at all', async () => {
    const old = await create('recreated', 'r1', { v: 'old' });
    await create('recreated', 'r2', {});
    const url = `${streams('recreated')}?limit=1&labelSelector=v`;
    await create('recreated', 'r0', { v: 'x' });
    const first = (await call('GET', url)).body;
    expect(names(first)).toEqual(['r0']);
    expect((await call('DELETE', `${streams('recreated')}/r1`)).status).toBe(200);
    await create('recreated', 'r1', { v: 'new' });
    const [second] = await follow(url, first);
    expect(second.items).toEqual([expect.objectContaining({ metadata: old.metadata })]);
  });

  it('states the change log no longer holds: deletes and relabels are rebuilt from the change that ended them, other modifications show the current state (no 410)', async () => {
    for (const name of ['c1', 'c2', 'c3', 'c4']) await create('compacted', name, { grp: 'c' });
    const url = `${streams('compacted')}?limit=1&labelSelector=grp%3Dc`;
    const first = (await call('GET', url)).body;
    const rv = first.metadata.resourceVersion as string;
    // The version later pages read at (the token's; the first page reports it too unless writes were in flight).
    const tokenRv = JSON.parse(Buffer.from(first.metadata.continue, 'base64url').toString()).rv as string;
    // Retention drops every change up to the first page: the objects' states then are not logged.
    const db = new Client({ connectionString: api.databaseUrl });
    await db.connect();
    try {
      await db.query(`DELETE FROM resource_changes WHERE rv <= $1`, [rv]);
      await db.query(`UPDATE watch_compaction SET compacted_rv = $1`, [rv]);
    } finally {
      await db.end();
    }
    const c2 = (await call('GET', `${streams('compacted')}/c2`)).body;
    expect(
      (await mergePatch(`${streams('compacted')}/c2`, { metadata: { labels: { grp: 'gone' } } })).status,
    ).toBe(200);
    const c3 = (await call('GET', `${streams('compacted')}/c3`)).body;
    expect((await call('DELETE', `${streams('compacted')}/c3`)).status).toBe(200);
    const c4 = await mergePatch(`${streams('compacted')}/c4`, {
      metadata: { annotations: { later: 'yes' } },
    });
    expect(c4.status).toBe(200);

    const pages = await follow(url, first);
    expect(pages.map(names)).toEqual([['c2'], ['c3'], ['c4']]);
    // The relabel logged the object it replaced, resourceVersion included.
    expect(pages[0].items[0].metadata).toEqual(c2.metadata);
    // The delete logged the last state, not the version it had: it carries the list's, at which it held.
    expect(pages[1].items[0].metadata).toEqual({ ...c3.metadata, resourceVersion: tokenRv });
    // Nothing logged c4's state then: its current row, as before snapshots.
    expect(pages[2].items[0].metadata).toEqual(c4.body.metadata);
    // An Exact list at that version cannot be rebuilt: 410, as before.
    expect(
      (await call('GET', `${streams('compacted')}?resourceVersion=${rv}&resourceVersionMatch=Exact`)).status,
    ).toBe(410);
  });

  it('a field selector on a computed field matches the state then (status.dockerImageRepository, filled in as of then)', async () => {
    for (const name of ['f1', 'f2', 'f3']) await create('fields', name, {});
    // Every stream has one (the internal registry's hostname is set): a state that missed it would not match.
    const url = `${streams('fields')}?limit=1&fieldSelector=${encodeURIComponent('status.dockerImageRepository!=')}`;
    const first = (await call('GET', url)).body;
    expect(names(first)).toEqual(['f1']);
    expect(
      (await mergePatch(`${streams('fields')}/f2`, { metadata: { annotations: { a: 'b' } } })).status,
    ).toBe(200);
    const pages = await follow(url, first);
    expect(pages.map(names)).toEqual([['f2'], ['f3']]);
    expect(pages[0].items[0].status.dockerImageRepository).toBe('registry.test:5000/fields/f2');
  });

  describe('imagestreamtags and imagetags', () => {
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const push = async (stream: string, tag: string, image: string) => {
      const res = await call('POST', `${api.base}/namespaces/tags/imagestreammappings`, {
        metadata: { name: stream },
        tag,
        image: { metadata: { name: image }, dockerImageReference: `quay.io/tags/${stream}@${image}` },
      });
      expect(res.status).toBe(201);
    };

    it('later istag pages read the streams at the first page version: a relabelled stream stays, a moved tag shows its image then, a new stream is left out', async () => {
      for (const [stream, c] of [
        ['s1', '1'],
        ['s2', '2'],
        ['s3', '3'],
      ] as const) {
        await create('tags', stream, { grp: 's' });
        await push(stream, 'v1', digest(c));
      }
      const url = `${api.base}/namespaces/tags/imagestreamtags?limit=1&labelSelector=grp%3Ds`;
      const first = (await call('GET', url)).body;
      expect(names(first)).toEqual(['s1:v1']);
      const all = (await call('GET', `${api.base}/namespaces/tags/imagestreamtags?labelSelector=grp%3Ds`))
        .body;
      expect(
        (await mergePatch(`${streams('tags')}/s2`, { metadata: { labels: { grp: 'other' } } })).status,
      ).toBe(200);
      await push('s3', 'v1', digest('9'));
      await create('tags', 's25', { grp: 's' });
      await push('s25', 'v1', digest('5'));

      const pages = await follow(url, first);
      expect(pages.map(names)).toEqual([['s2:v1'], ['s3:v1']]);
      for (const page of pages) expect(page.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      expect(pages[1].items[0].image.metadata.name).toBe(digest('3'));
      expect(pages.map((p) => p.items[0])).toEqual(all.items.slice(1));

      // Nothing selected: remainingItemCount counts the streams as they were.
      const counted = (await call('GET', `${api.base}/namespaces/tags/imagetags?limit=1`)).body;
      expect([names(counted), counted.metadata.remainingItemCount]).toEqual([['s1:v1'], 3]);
      await push('s1', 'v2', digest('6'));
      await push('s2', 'v2', digest('7'));
      const rest = await follow(`${api.base}/namespaces/tags/imagetags?limit=1`, counted);
      expect(rest.map((p) => [names(p), p.metadata.remainingItemCount])).toEqual([
        [['s2:v1'], 2],
        [['s25:v1'], 1],
        [['s3:v1'], undefined],
      ]);
    });
  });
});
