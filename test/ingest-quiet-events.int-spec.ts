/**
 * What a real docker-registry reports that must not change anything: pulls (GET and HEAD of
 * manifests and blobs, as skopeo inspect/copy make them), blob deletes (which look like manifest
 * deletes), an identical re-push, and a registry-side refusal (DELETE by tag) that emits nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call } from '@app/testing';
import { type IngestStack, startIngestStack, waitFor } from './ingest-harness';
import { type BuiltImage, OciLayout, registryUnavailableReason, skopeoCopy } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`registry quiet-event tests skipped: ${skipReason}`);

const NS = 'quiet';
const REPO = `${NS}/app`;
const run = promisify(execFile);

describeRegistry('registry events that change nothing (real docker-registry)', () => {
  let stack: IngestStack;
  let layout: OciLayout;
  let built: BuiltImage;

  const counter = async (labels: string) => {
    const text = await (await fetch(`${stack.api.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`imagestreamd_registry_events_total{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const snapshot = async () => {
    const stream = (await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreams/app`)).body;
    const image = (await call('GET', `${stack.api.base}/images/${built.manifestDigest}`)).body;
    return { stream: stream.metadata.resourceVersion, status: stream.status, image: image.metadata.resourceVersion };
  };
  const drained = () =>
    waitFor('inbox drained', async () => Number((await stack.pg.query(`SELECT count(*) AS n FROM registry_events WHERE state = 'pending'`)).rows[0].n) === 0);

  beforeAll(async () => {
    stack = await startIngestStack({ registry: true });
    layout = await OciLayout.create();
    built = await layout.addImage('v1', { seed: 'quiet-v1', layerCount: 2 });
    await skopeoCopy(layout.dir, 'v1', `${stack.registry!.host}/${REPO}:v1`);
    await waitFor('tag v1', async () => (await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreamtags/app:v1`)).status === 200);
    await drained();
  });

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });

  it('pulls, a blob delete, an identical re-push and a refused tag delete leave the stream and the Image as they were', async () => {
    const before = await snapshot();
    expect(before.status.tags).toHaveLength(1);
    const pullsBefore = await counter('action="pull",target="blob",outcome="counted"');
    const registry = stack.registry!;
    const dir = await mkdtemp(join(tmpdir(), 'quiet-pull-'));
    try {
      await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/${REPO}:v1`], { timeout: 30_000 });
      await run('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${registry.host}/${REPO}:v1`, `dir:${join(dir, 'img')}`], {
        timeout: 30_000,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const head = await fetch(`${registry.url}/v2/${REPO}/manifests/v1`, { method: 'HEAD', headers: { accept: built.manifestMediaType } });
    expect(head.status).toBe(200);
    // distribution 2.8 cannot delete by tag: 400, and no event.
    expect((await fetch(`${registry.url}/v2/${REPO}/manifests/v1`, { method: 'DELETE' })).status).toBe(400);
    // A blob delete is reported exactly like a manifest delete (digest and repository only). The
    // worker is stopped so the delete is handled after the re-push has put the blob back, when
    // distribution answers a manifest HEAD for that digest with a 500.
    await stack.worker!.close();
    expect((await fetch(`${registry.url}/v2/${REPO}/blobs/${built.layers[1]!.digest}`, { method: 'DELETE' })).status).toBe(202);
    await skopeoCopy(layout.dir, 'v1', `${registry.host}/${REPO}:v1`);
    const asManifest = await fetch(`${registry.url}/v2/${REPO}/manifests/${built.layers[1]!.digest}`, { method: 'HEAD' });
    expect(asManifest.status).toBe(500);
    await waitFor('delete and re-push stored', async () =>
      Number((await stack.pg.query(`SELECT count(*) AS n FROM registry_events WHERE repository = $1`, [REPO])).rows[0].n) === 3 || null,
    );
    await stack.startWorker();

    // Every notification has arrived and been settled: the pulls counted, the delete and the push stored.
    await waitFor('pull events counted', async () => (await counter('action="pull",target="blob",outcome="counted"')) >= pullsBefore + 3);
    const rows = await waitFor('delete and re-push settled', async () => {
      const r = await stack.pg.query(`SELECT kind, state, outcome FROM registry_events WHERE repository = $1 ORDER BY event_ns`, [REPO]);
      return r.rows.length === 3 && r.rows.every((row) => row.state !== 'pending') ? r.rows : null;
    });
    expect(rows).toEqual([
      { kind: 'manifest-push', state: 'processed', outcome: 'tagged' },
      { kind: 'manifest-delete', state: 'processed', outcome: 'nothing-to-remove' },
      { kind: 'manifest-push', state: 'processed', outcome: 'unchanged' },
    ]);
    expect(await snapshot()).toEqual(before);
  });
});
