import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const merge = 'application/merge-patch+json';
const apply = 'application/apply-patch+yaml';

/**
 * Patches without a resourceVersion of their own never fail with 409 because another client
 * wrote the object meanwhile: kube-apiserver applies a patch to what it reads and tries again on
 * a conflict (GuaranteedUpdate), so `kubectl label`/`patch`/`apply --server-side` succeed while
 * registry pushes move the stream's tags. Real HTTP and Postgres, writes in parallel.
 */
describe('concurrent patches', () => {
  let api: TestApi;
  const streams = () => `${api.base}/namespaces/cc/imagestreams`;
  const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

  beforeAll(async () => {
    api = await startTestApi();
    expect((await call('POST', streams(), { metadata: { name: 's' } })).status).toBe(201);
  });
  afterAll(async () => {
    await api.close();
  });

  it('parallel merge, JSON and strategic patches, status patches and applies all succeed beside mappings, and every change is kept', async () => {
    const writers = 4;
    const each = 10;
    const statuses: number[] = [];
    const patchLoop = async (w: number) => {
      for (let i = 0; i < each; i++) {
        const label = `w${w}-${i}`;
        const kind = i % 4;
        const res =
          kind === 0
            ? await call('PATCH', `${streams()}/s`, { metadata: { labels: { [label]: 'v' } } }, merge)
            : kind === 1
              ? await call('PATCH', `${streams()}/s`, [{ op: 'add', path: `/metadata/annotations/${label}`, value: 'v' }], 'application/json-patch+json')
              : kind === 2
                ? await call('PATCH', `${streams()}/s`, { metadata: { labels: { [label]: 'v' } } }, 'application/strategic-merge-patch+json')
                : await call('PATCH', `${streams()}/s/status`, { metadata: { labels: { [label]: 'v' } } }, merge);
        statuses.push(res.status);
      }
    };
    const applyLoop = async (w: number) => {
      for (let i = 0; i < each; i++) {
        const res = await call('PATCH', `${streams()}/s?fieldManager=applier-${w}`, { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 's', labels: { [`applied-${w}`]: String(i) } } }, apply);
        statuses.push(res.status);
      }
    };
    const mappingLoop = async (w: number) => {
      for (let i = 0; i < each; i++) {
        const d = digest(w * 100 + i + 1);
        const res = await call('POST', `${api.base}/namespaces/cc/imagestreammappings`, {
          metadata: { name: 's' },
          image: { metadata: { name: d }, dockerImageReference: `quay.io/cc/s@${d}` },
          tag: `t${w}`,
        });
        expect(res.status).toBe(201);
      }
    };
    // The JSON patch adds under /metadata/annotations, which must exist first.
    expect((await call('PATCH', `${streams()}/s`, { metadata: { annotations: { seed: 'x' } } }, merge)).status).toBe(200);
    await Promise.all([...Array.from({ length: writers }, (_, w) => patchLoop(w)), applyLoop(0), applyLoop(1), mappingLoop(0), mappingLoop(1)]);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const stored = (await call('GET', `${streams()}/s`)).body;
    for (let w = 0; w < writers; w++) {
      for (let i = 0; i < each; i++) {
        const label = `w${w}-${i}`;
        if (i % 4 === 1) expect(stored.metadata.annotations[label]).toBe('v');
        else expect(stored.metadata.labels[label]).toBe('v');
      }
    }
    expect(stored.metadata.labels).toMatchObject({ 'applied-0': String(each - 1), 'applied-1': String(each - 1) });
    expect(stored.status.tags.map((t: { tag: string; items: unknown[] }) => [t.tag, t.items.length])).toEqual([
      ['t0', each],
      ['t1', each],
    ]);
  });

  it('a patch naming a stale resourceVersion is still a conflict', async () => {
    const res = await call('PATCH', `${streams()}/s`, { metadata: { resourceVersion: '1', labels: { stale: 'yes' } } }, merge);
    expect(res.status).toBe(409);
    expect((await call('GET', `${streams()}/s`)).body.metadata.labels.stale).toBeUndefined();
  });
});
