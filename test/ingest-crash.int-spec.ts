import { setTimeout as sleep } from 'node:timers/promises';
import { call } from '@app/testing';
import { type IngestStack, putImage, spawnWorker, startIngestStack, waitFor, type WorkerChild } from './ingest-harness';
import { type BuiltImage, OciLayout, registryUnavailableReason, resolveTag } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;

const REPOS = 10;
const TAGS = 5;
const PUSHES = 120;
const IMAGES = 5;

/** Push i: which repository, tag and image. Consecutive repeats of one image on a tag happen on purpose. */
function plan(i: number) {
  const repo = `crash/r${i % REPOS}`;
  const tag = `t${Math.floor(i / REPOS) % TAGS}`;
  const round = Math.floor(i / (REPOS * TAGS));
  const image = (round * 3 + (i % 7 === 0 ? 0 : i % REPOS)) % IMAGES;
  return { repo, tag, image };
}

/** History the API must show for a tag after these pushes: newest first, consecutive repeats collapsed. */
function expectedHistory(digests: string[]): string[] {
  const out: string[] = [];
  for (const d of digests) if (out[0] !== d) out.unshift(d);
  return out;
}

describeRegistry(`kill -9 of the worker in the middle of ${PUSHES} pushes`, () => {
  let stack: IngestStack;
  let layout: OciLayout;
  const images: BuiltImage[] = [];
  let worker: WorkerChild | null = null;

  beforeAll(async () => {
    stack = await startIngestStack({ registry: true, worker: false, overrides: { dbPoolSize: 12, ingestConcurrency: 4 } });
    layout = await OciLayout.create();
    for (let k = 0; k < IMAGES; k++) images.push(await layout.addImage(`i${k}`, { seed: `crash-${k}` }));
  });

  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await stack?.close();
    await layout?.remove();
  });

  it('restarts, and every tag ends right with no history entry lost or duplicated', async () => {
    const registry = stack.registry!;
    // Blobs first (their events are only counted), so each push below is one manifest PUT. The
    // repositories at once (one image after another within each: their blobs are shared).
    await Promise.all(
      Array.from({ length: REPOS }, async (_, r) => {
        for (const img of images) await putImage(registry.url, `crash/r${r}`, layout.dir, img, img.manifestDigest);
      }),
    );
    await waitFor('by-digest pushes settled', async () => {
      const rows = await stack.pg.query(`SELECT count(*)::int AS n FROM registry_events WHERE state = 'pending'`);
      const all = await stack.pg.query(`SELECT count(*)::int AS n FROM registry_events`);
      return all.rows[0].n === REPOS * IMAGES && rows.rows[0].n === REPOS * IMAGES;
    });

    worker = spawnWorker(stack.config);
    const processed = async () =>
      (await stack.pg.query(`SELECT count(*)::int AS n FROM registry_events WHERE state <> 'pending' AND tag IS NOT NULL`)).rows[0].n as number;

    const pushed = new Map<string, string[]>();
    let killedAt = -1;
    let pendingAtKill = 0;
    const pushing = (async () => {
      for (let i = 0; i < PUSHES; i++) {
        const p = plan(i);
        const img = images[p.image]!;
        await putImage(registry.url, p.repo, layout.dir, img, p.tag);
        const key = `${p.repo}:${p.tag}`;
        pushed.set(key, [...(pushed.get(key) ?? []), img.manifestDigest]);
      }
    })();
    // Kill once the worker is busy: some events settled, others stored or still in the registry's queue.
    await waitFor('worker busy', async () => (await processed()) >= 40, 60000, 10);
    await worker.kill('SIGKILL');
    // A COMMIT Postgres had already received when the worker died still completes: wait until
    // the count stops moving before taking it as the count at the kill.
    killedAt = await processed();
    for (let settled = false; !settled; ) {
      await sleep(500);
      const now = await processed();
      settled = now === killedAt;
      killedAt = now;
    }
    pendingAtKill = (await stack.pg.query(`SELECT count(*)::int AS n FROM registry_events WHERE state = 'pending'`)).rows[0].n;
    await pushing;
    const stuck = await processed();
    expect(killedAt).toBeLessThan(PUSHES);
    expect(stuck).toBe(killedAt);

    worker = spawnWorker(stack.config);
    await waitFor(
      `all ${PUSHES} pushes stored and settled`,
      async () => {
        const rows = await stack.pg.query(
          `SELECT count(*) FILTER (WHERE tag IS NOT NULL)::int AS tagged, count(*) FILTER (WHERE state = 'pending')::int AS pending FROM registry_events`,
        );
        return rows.rows[0].tagged === PUSHES && rows.rows[0].pending === 0;
      },
      60000,
      200,
    );
    await worker.kill('SIGTERM');
    worker = null;

    const states = await stack.pg.query(`SELECT state, outcome, count(*)::int AS n FROM registry_events WHERE tag IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(states.rows.filter((r) => r.state !== 'processed' || !['tagged', 'unchanged'].includes(r.outcome))).toEqual([]);

    for (let r = 0; r < REPOS; r++) {
      const s = await call('GET', `${stack.api.base}/namespaces/crash/imagestreams/r${r}`);
      expect(s.status).toBe(200);
      const statusTags = new Map<string, string[]>(
        (s.body.status.tags as { tag: string; items: { image: string }[] }[]).map((t) => [t.tag, t.items.map((i) => i.image)]),
      );
      expect([...statusTags.keys()].sort()).toEqual(Array.from({ length: TAGS }, (_, t) => `t${t}`));
      for (let t = 0; t < TAGS; t++) {
        const key = `crash/r${r}:t${t}`;
        const digests = pushed.get(key)!;
        // The tag is where the registry has it, and its history is every move exactly once.
        expect({ key, top: statusTags.get(`t${t}`)![0] }).toEqual({ key, top: await resolveTag(registry.url, `crash/r${r}`, `t${t}`) });
        expect({ key, history: statusTags.get(`t${t}`) }).toEqual({ key, history: expectedHistory(digests) });
      }
    }
    console.log(`kill -9 after ${killedAt} settled events (${pendingAtKill} stored, unsettled); all ${PUSHES} right after restart`);
  }, 120000);
});
