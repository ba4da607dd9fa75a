import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { comparableEvent, digest, listDeliveries, mapImage, TRIGGERS_API } from './support/trigger-resources';

const annotation = (entries: object[]) => ({ 'image.openshift.io/triggers': JSON.stringify(entries) });

/**
 * Annotated workloads fire on their own, as OpenShift's trigger controller does: the container
 * image at the annotation's fieldPath is set on the stored workload (api + worker process, real
 * Postgres and Redis).
 */
describe('annotated workloads (image.openshift.io/triggers)', () => {
  let server: TriggerServer;
  const img = () => `${server.url}/apis/image.openshift.io/v1/namespaces/demo`;
  const apps = () => `${server.url}/apis/apps/v1/namespaces/demo`;

  const map = (stream: string, image: string) =>
    mapImage(server.url, 'demo', { stream, tag: 'latest', image, repository: `quay.io/acme/${stream}` });
  const deployment = (name: string, from: string, extra: Record<string, unknown> = {}) => ({
    metadata: {
      name,
      annotations: annotation([{ from: { kind: 'ImageStreamTag', name: from }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image', ...extra }]),
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'sidecar', image: 'busybox:1' }, { name: 'web', image: ' ' }] },
      },
    },
  });
  const webImage = async (path: string) => {
    const d = (await call('GET', path)).body;
    const containers = (d.spec.template?.spec ?? d.spec.jobTemplate.spec.template.spec).containers as { name: string; image: string }[];
    return { image: containers.find((c) => c.name === 'web')!.image, sidecar: containers.find((c) => c.name === 'sidecar')?.image, body: d };
  };

  beforeAll(async () => {
    server = await startTriggerServer();
    for (const s of ['web', 'empty', 'late']) expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: s } })).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    await server?.close();
  });

  it('a push sets the container image on the stored Deployment; a second push sets it again; each change is recorded once', async () => {
    const created = await call('POST', `${apps()}/deployments`, deployment('web', 'web:latest'));
    expect(created.status).toBe(201);
    const gen = created.body.metadata.generation as number;

    await map('web', digest('a'));
    const first = await pollUntil(() => webImage(`${apps()}/deployments/web`), (v) => v.image !== ' ');
    expect(first.image).toBe(`quay.io/acme/web@${digest('a')}`);
    expect(first.sidecar).toBe('busybox:1');
    expect(first.body.metadata.generation).toBe(gen + 1);

    await map('web', digest('b'));
    const second = await pollUntil(() => webImage(`${apps()}/deployments/web`), (v) => v.image.endsWith(digest('b')));
    expect(second.image).toBe(`quay.io/acme/web@${digest('b')}`);

    // Each applied patch is a Delivery in state "applied" carrying the event and the patch.
    const list = await listDeliveries(server.url, 'demo', 'web');
    expect(list.map((d: any) => d.status.state)).toEqual(['applied', 'applied']);
    expect(list[1].spec.event.data).toMatchObject({
      new: { digest: digest('b'), pullSpec: `quay.io/acme/web@${digest('b')}` },
      trigger: { kind: 'Deployment', name: 'web' },
      patch: [
        { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `quay.io/acme/web@${digest('b')}` },
      ],
    });
    // The recorded patch is what sets the image, level-driven: it applies cleanly to the workload
    // as it is now (already updated) as it would to a copy still on the old image or edited by hand.
    const reapplied = await call('PATCH', `${apps()}/deployments/web?dryRun=All`, list[1].spec.event.data.patch, 'application/json-patch+json');
    expect(reapplied.status).toBe(200);
    expect(reapplied.body.spec.template.spec.containers[1].image).toBe(`quay.io/acme/web@${digest('b')}`);
    // Level-driven: nothing more happens for the same level (no further writes, no new records).
    const rv = second.body.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 700));
    expect((await call('GET', `${apps()}/deployments/web`)).body.metadata.resourceVersion).toBe(rv);
  });

  it('after an explicit rollback, a push of the newer image again moves the workload and is recorded as a new update', async () => {
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'cyc' } })).status).toBe(201);
    expect((await call('POST', `${apps()}/deployments`, deployment('cycling', 'cyc:latest'))).status).toBe(201);
    const at = (d: string) => pollUntil(() => webImage(`${apps()}/deployments/cycling`), (v) => v.image.endsWith(d));
    await map('cyc', digest('1'));
    await at(digest('1'));
    await map('cyc', digest('2'));
    await at(digest('2'));
    const back = await call('PATCH', `${img()}/imagestreamtags/cyc:latest`, { tag: { from: { kind: 'ImageStreamImage', name: `cyc@${digest('1')}` } } }, 'application/merge-patch+json');
    expect(back.status).toBe(201);
    await at(digest('1'));
    await map('cyc', digest('2'));
    expect((await at(digest('2'))).image).toBe(`quay.io/acme/cyc@${digest('2')}`);
    const records = await pollUntil(() => listDeliveries(server.url, 'demo', 'cycling'), (l) => l.length >= 4);
    expect(records.map((d: any) => [d.spec.event.data.reason, d.spec.event.data.new.digest, d.spec.event.data.old.digest])).toEqual([
      ['ImageChanged', digest('1'), null],
      ['ImageChanged', digest('2'), digest('1')],
      ['ExplicitRollback', digest('1'), digest('2')],
      ['ImageChanged', digest('2'), digest('1')],
    ]);
  });

  it('a stream deleted and created again starts afresh: an image it had before is not "older" in the new one', async () => {
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'reborn' } })).status).toBe(201);
    expect((await call('POST', `${apps()}/deployments`, deployment('reborn-web', 'reborn:latest'))).status).toBe(201);
    const at = (d: string) => pollUntil(() => webImage(`${apps()}/deployments/reborn-web`), (v) => v.image.endsWith(d));
    await map('reborn', digest('5'));
    await at(digest('5'));
    await map('reborn', digest('6'));
    await at(digest('6'));
    expect((await call('DELETE', `${img()}/imagestreams/reborn`)).status).toBe(200);
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'reborn' } })).status).toBe(201);
    await map('reborn', digest('5'));
    expect((await at(digest('5'))).image).toBe(`quay.io/acme/reborn@${digest('5')}`);
  });

  it('a stream spec change that changes the pull spec (referencePolicy, dockerImageRepository) updates the workloads following it', async () => {
    const created = await call('POST', `${img()}/imagestreams`, {
      metadata: { name: 'relocal' },
      spec: { tags: [{ name: 'latest', referencePolicy: { type: 'Source' } }] },
    });
    expect(created.status).toBe(201);
    expect((await call('POST', `${apps()}/deployments`, deployment('relocal-web', 'relocal:latest'))).status).toBe(201);
    await map('relocal', digest('7'));
    const source = await pollUntil(() => webImage(`${apps()}/deployments/relocal-web`), (v) => v.image !== ' ');
    expect(source.image).toBe(`quay.io/acme/relocal@${digest('7')}`);
    // Local: the stream's own repository is handed out (OpenShift re-checks dependents on every stream update).
    const patched = await call(
      'PATCH',
      `${img()}/imagestreams/relocal`,
      { spec: { dockerImageRepository: 'mirror.example/acme/relocal', tags: [{ name: 'latest', referencePolicy: { type: 'Local' } }] } },
      'application/strategic-merge-patch+json',
    );
    expect(patched.status).toBe(200);
    const local = await pollUntil(() => webImage(`${apps()}/deployments/relocal-web`), (v) => v.image !== source.image);
    expect(local.image).toBe(`mirror.example/acme/relocal@${digest('7')}`);
  });

  it('a reference tag (pull spec, no image) sets the container to its pull spec, and again when it is re-pointed', async () => {
    const spec = (n: number) => ({ tags: [{ name: 'pinned', from: { kind: 'DockerImage', name: `quay.io/acme/pinned:${n}` }, reference: true }] });
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'refs' }, spec: spec(1) })).status).toBe(201);
    expect((await call('POST', `${apps()}/deployments`, deployment('pinned-web', 'refs:pinned'))).status).toBe(201);
    expect((await pollUntil(() => webImage(`${apps()}/deployments/pinned-web`), (v) => v.image !== ' ')).image).toBe('quay.io/acme/pinned:1');
    expect((await call('PATCH', `${img()}/imagestreams/refs`, { spec: spec(2) }, 'application/merge-patch+json')).status).toBe(200);
    expect((await pollUntil(() => webImage(`${apps()}/deployments/pinned-web`), (v) => v.image.endsWith(':2'))).image).toBe('quay.io/acme/pinned:2');
  });

  it('a container image changed by hand (kubectl set image) is set back to the tag\'s at once; other containers are left alone', async () => {
    expect((await call('POST', `${apps()}/deployments`, deployment('edited', 'web:latest'))).status).toBe(201);
    const fired = await pollUntil(() => webImage(`${apps()}/deployments/edited`), (v) => v.image.endsWith(digest('b')));
    const containers = fired.body.spec.template.spec.containers as { name: string; image: string }[];
    const edited = await call(
      'PATCH',
      `${apps()}/deployments/edited`,
      { spec: { template: { spec: { containers: containers.map((c) => ({ name: c.name, image: c.name === 'web' ? 'nginx:1.27' : 'busybox:2' })) } } } },
      'application/strategic-merge-patch+json',
    );
    expect(edited.status).toBe(200);
    const reverted = await pollUntil(() => webImage(`${apps()}/deployments/edited`), (v) => v.image !== 'nginx:1.27');
    expect(reverted.image).toBe(`quay.io/acme/web@${digest('b')}`);
    expect(reverted.sidecar).toBe('busybox:2');
    expect(reverted.body.metadata.generation).toBe(edited.body.metadata.generation + 1);
    // The controller's write is recorded as its own (named as on OpenShift): it owns the image it set, not the sidecar's.
    const controller = reverted.body.metadata.managedFields.find((m: { manager: string }) => m.manager === 'openshift-controller-manager');
    expect(controller).toMatchObject({ operation: 'Update', apiVersion: 'apps/v1' });
    expect(controller.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']).toEqual({ 'k:{"name":"web"}': { 'f:image': {} } });
    // The revert is an update of its own, recorded with what the container ran before it.
    const records = await pollUntil(() => listDeliveries(server.url, 'demo', 'edited'), (l) => l.length >= 2);
    expect(records.map((d: any) => d.status.state)).toEqual(['applied', 'applied']);
    expect(records[1].spec.event.data).toMatchObject({ old: { digest: null, pullSpec: 'nginx:1.27' }, new: { digest: digest('b') } });
  });

  it('an apply that would put back the image the controller replaced is a conflict, not a flap', async () => {
    const manifest = deployment('applied', 'web:latest');
    const yaml = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', ...manifest });
    expect((await call('PATCH', `${apps()}/deployments/applied?fieldManager=kubectl`, yaml, 'application/apply-patch+yaml')).status).toBe(201);
    const fired = await pollUntil(() => webImage(`${apps()}/deployments/applied`), (v) => v.image.endsWith(digest('b')));
    const again = await call('PATCH', `${apps()}/deployments/applied?fieldManager=kubectl`, yaml, 'application/apply-patch+yaml');
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(
      'Apply failed with 1 conflict: conflict with "openshift-controller-manager" using apps/v1: .spec.template.spec.containers[name="web"].image',
    );
    expect((await call('GET', `${apps()}/deployments/applied`)).body.metadata.resourceVersion).toBe(fired.body.metadata.resourceVersion);
  });

  it('fires on first sight of an existing image (CronJob path), never while the tag has no image', async () => {
    const cj = await call('POST', `${server.url}/apis/batch/v1/namespaces/demo/cronjobs`, {
      metadata: {
        name: 'nightly',
        annotations: annotation([{ from: { kind: 'ImageStreamTag', name: 'web:latest' }, fieldPath: 'spec.jobTemplate.spec.template.spec.containers[0].image' }]),
      },
      spec: { schedule: '0 1 * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'web', image: 'old' }] } } } } },
    });
    expect(cj.status).toBe(201);
    const got = await pollUntil(() => webImage(`${server.url}/apis/batch/v1/namespaces/demo/cronjobs/nightly`), (v) => v.image !== 'old');
    expect(got.image).toBe(`quay.io/acme/web@${digest('b')}`);

    const none = await call('POST', `${apps()}/deployments`, deployment('empty', 'empty:latest'));
    expect(none.status).toBe(201);
    await new Promise((r) => setTimeout(r, 800));
    expect((await webImage(`${apps()}/deployments/empty`)).image).toBe(' ');
  });

  it('a paused entry does not fire; unpausing it fires for the image that arrived meanwhile; "paused" as a string makes the annotation unusable', async () => {
    expect((await call('POST', `${apps()}/deployments`, deployment('held', 'late:latest', { paused: true }))).status).toBe(201);
    // As upstream (openshift/console#14523): a string does not decode into the bool, the object is ignored; stored, with a Warning.
    const stringly = await call('POST', `${apps()}/deployments`, deployment('stringly', 'late:latest', { paused: 'false' }));
    expect(stringly.status).toBe(201);
    expect(stringly.headers.get('warning')).toContain('[0].paused must be a boolean; the image triggers of this object are ignored');
    await map('late', digest('c'));
    // A Deployment that is not paused and follows the same tag shows the move was evaluated.
    expect((await call('POST', `${apps()}/deployments`, deployment('witness', 'late:latest', { paused: false }))).status).toBe(201);
    await pollUntil(() => webImage(`${apps()}/deployments/witness`), (v) => v.image !== ' ');
    expect((await webImage(`${apps()}/deployments/witness`)).image).toBe(`quay.io/acme/late@${digest('c')}`);
    await new Promise((r) => setTimeout(r, 500));
    expect((await webImage(`${apps()}/deployments/held`)).image).toBe(' ');
    expect((await webImage(`${apps()}/deployments/stringly`)).image).toBe(' ');

    const unpause = await call(
      'PATCH',
      `${apps()}/deployments/held`,
      { metadata: { annotations: annotation([{ from: { kind: 'ImageStreamTag', name: 'late:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' }]) } },
      'application/merge-patch+json',
    );
    expect(unpause.status).toBe(200);
    const fired = await pollUntil(() => webImage(`${apps()}/deployments/held`), (v) => v.image !== ' ');
    expect(fired.image).toBe(`quay.io/acme/late@${digest('c')}`);
  });
  it('a push preview lists annotated workloads with the patch the real push then applies, and changes nothing', async () => {
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'pv' } })).status).toBe(201);
    expect((await call('POST', `${apps()}/deployments`, deployment('pvweb', 'pv:latest'))).status).toBe(201);
    expect((await call('POST', `${apps()}/deployments`, deployment('pvheld', 'pv:latest', { paused: true }))).status).toBe(201);
    await map('pv', digest('a'));
    const before = await pollUntil(() => webImage(`${apps()}/deployments/pvweb`), (v) => v.image !== ' ');
    expect(before.image).toBe(`quay.io/acme/pv@${digest('a')}`);
    const deliveries = () => listDeliveries(server.url, 'demo', 'pvweb');
    expect(await deliveries()).toHaveLength(1);

    const preview = await call('POST', `${server.url}${TRIGGERS_API}/namespaces/demo/pushpreviews`, { metadata: { name: 'pv:latest' }, spec: { image: digest('d') } });
    expect(preview.status).toBe(201);
    const byName = Object.fromEntries((preview.body.status.workloads as any[]).map((w) => [w.name, w]));
    expect(byName['pvheld']).toMatchObject({ kind: 'Deployment', wouldFire: false, reason: 'Paused' });
    expect(byName['pvweb']).toMatchObject({
      kind: 'Deployment',
      namespace: 'demo',
      fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image',
      wouldFire: true,
      patch: [
        { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `quay.io/acme/pv@${digest('d')}` },
      ],
    });
    // No side effect: the workload and its delivery records are as they were.
    const unchanged = await webImage(`${apps()}/deployments/pvweb`);
    expect(unchanged.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
    expect(await deliveries()).toHaveLength(1);

    await map('pv', digest('d'));
    await pollUntil(() => webImage(`${apps()}/deployments/pvweb`), (v) => v.image.endsWith(digest('d')));
    const real = (await pollUntil(deliveries, (l) => l.length === 2))[1].spec.event;
    expect(comparableEvent(real)).toEqual(comparableEvent(byName['pvweb'].event));
    expect(byName['pvweb'].deliveryId).toBe(real.id);
  });

  it('an applicable entry whose fieldPath names no container holds back the whole workload; fieldPaths are read as OpenShift reads them', async () => {
    for (const s of ['fp', 'fpnone']) expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: s } })).status).toBe(201);
    const pod = 'spec.template.spec';
    const web = `${pod}.containers[?(@.name=="web")].image`;
    const entry = (name: string, fieldPath: string, extra: object = {}) => ({ from: { kind: 'ImageStreamTag', name }, fieldPath, ...extra });
    const workload = (name: string, entries: object[]) => ({ ...deployment(name, 'fp:latest'), metadata: { name, annotations: annotation(entries) } });

    // Upstream's controller fails the object on an entry naming a missing container: no entry is applied.
    expect((await call('POST', `${apps()}/deployments`, workload('fp-blocked', [entry('fp:latest', web), entry('fp:latest', `${pod}.containers[?(@.name=="gone")].image`)]))).status).toBe(201);
    // Paused and imageless entries are passed over before their fieldPath is read: a bad one blocks nothing.
    // `containers[0]image` (no dot) parses upstream.
    const lenient = await call(
      'POST',
      `${apps()}/deployments`,
      workload('fp-lenient', [
        entry('fp:latest', `${pod}.containers[1]image`),
        entry('fp:latest', `${pod}.containers[0].name`, { paused: true }),
        entry('fpnone:latest', `${pod}.containers[?(@.name=='sidecar')].image`),
      ]),
    );
    expect(lenient.status).toBe(201);
    expect(lenient.headers.get('warning')).toContain("[1].fieldPath must be spec.template.spec.containers");
    // One `=` still parses upstream (it trims `?(@.name=="` and `")` apart), as a container named
    // `?(@.name="web`, which no container can be: it holds the workload back, and the write says so.
    const oneEq = await call('POST', `${apps()}/deployments`, workload('fp-one-eq', [entry('fp:latest', `${pod}.containers[?(@.name="web")].image`)]));
    expect(oneEq.status).toBe(201);
    expect(oneEq.headers.get('warning')).toContain('which no container can be named; write ?(@.name==');
    expect((await call('POST', `${apps()}/deployments`, deployment('fp-witness', 'fp:latest'))).status).toBe(201);

    await map('fp', digest('e'));
    const pulled = `quay.io/acme/fp@${digest('e')}`;
    expect((await pollUntil(() => webImage(`${apps()}/deployments/fp-witness`), (v) => v.image !== ' ')).image).toBe(pulled);
    const applied = await pollUntil(() => webImage(`${apps()}/deployments/fp-lenient`), (v) => v.image !== ' ');
    expect([applied.image, applied.sidecar]).toEqual([pulled, 'busybox:1']);
    await new Promise((r) => setTimeout(r, 500));
    const blocked = await webImage(`${apps()}/deployments/fp-blocked`);
    expect([blocked.image, blocked.body.metadata.generation]).toEqual([' ', 1]);
    expect((await webImage(`${apps()}/deployments/fp-one-eq`)).image).toBe(' ');
    expect(await listDeliveries(server.url, 'demo', 'fp-blocked')).toEqual([]);

    // Once the container exists, the workload is reconciled as a whole: both entries in one update.
    const added = await call(
      'PATCH',
      `${apps()}/deployments/fp-blocked`,
      { spec: { template: { spec: { containers: [{ name: 'gone', image: 'busybox:1' }] } } } },
      'application/strategic-merge-patch+json',
    );
    expect(added.status).toBe(200);
    const fixed = await pollUntil(() => call('GET', `${apps()}/deployments/fp-blocked`), (r) => r.body.metadata.generation > added.body.metadata.generation);
    const images = Object.fromEntries((fixed.body.spec.template.spec.containers as { name: string; image: string }[]).map((c) => [c.name, c.image]));
    expect(images).toEqual({ sidecar: 'busybox:1', web: pulled, gone: pulled });
    expect(fixed.body.metadata.generation).toBe(added.body.metadata.generation + 1);
  });

  it('an image the container got from elsewhere is no reason to hold back the tag\'s image, whatever their creation times', async () => {
    // Upstream sets the container to the tag's pull spec whenever they differ; the older-image rule
    // only guards images this tag handed out.
    const built = async (stream: string, image: string, created: string) => {
      const res = await call('POST', `${img()}/imagestreammappings`, {
        metadata: { name: stream },
        tag: 'latest',
        image: {
          metadata: { name: image },
          dockerImageReference: `quay.io/acme/${stream}@${image}`,
          dockerImageMetadata: { kind: 'DockerImage', apiVersion: '1.0', Created: created },
          dockerImageMetadataVersion: '1.0',
        },
      });
      expect(res.status).toBe(201);
    };
    for (const s of ['newbuild', 'oldbase']) expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: s } })).status).toBe(201);
    await built('newbuild', digest('7'), '2026-06-01T00:00:00Z');
    await built('oldbase', digest('8'), '2025-01-01T00:00:00Z');
    const elsewhere = `quay.io/acme/newbuild@${digest('7')}`;
    const wanted = `quay.io/acme/oldbase@${digest('8')}`;
    const manifest = deployment('cross', 'oldbase:latest');
    manifest.spec.template.spec.containers[1]!.image = elsewhere;
    expect((await call('POST', `${apps()}/deployments`, manifest)).status).toBe(201);
    expect((await pollUntil(() => webImage(`${apps()}/deployments/cross`), (v) => v.image !== elsewhere)).image).toBe(wanted);

    // A hand edit to that newer build is set back too.
    const edited = await call(
      'PATCH',
      `${apps()}/deployments/cross`,
      { spec: { template: { spec: { containers: [{ name: 'web', image: elsewhere }] } } } },
      'application/strategic-merge-patch+json',
    );
    expect(edited.status).toBe(200);
    expect((await pollUntil(() => webImage(`${apps()}/deployments/cross`), (v) => v.image !== elsewhere)).image).toBe(wanted);
  });

  it('null entries decode as empty triggers: two of them are duplicates (fieldPath "") and the annotation is ignored, as upstream', async () => {
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'nul' } })).status).toBe(201);
    await map('nul', digest('9'));
    const entries = (nulls: number) => `[${'null,'.repeat(nulls)}${JSON.stringify({ from: { kind: 'ImageStreamTag', name: 'nul:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' })}]`;
    const withAnnotation = (name: string, value: string) => ({ ...deployment(name, 'nul:latest'), metadata: { name, annotations: { 'image.openshift.io/triggers': value } } });
    // Go's json.Unmarshal turns each null into a zero ObjectFieldTrigger; hasDuplicateTriggers then
    // sees two empty fieldPaths and CalculateAnnotationTriggers fails: the controller skips the object.
    const twoNulls = await call('POST', `${apps()}/deployments`, withAnnotation('nul-two', entries(2)));
    expect(twoNulls.status).toBe(201);
    expect(twoNulls.headers.get('warning')).toContain('[1]: duplicate triggers are not allowed');
    // One null is an entry the index skips; the other entry is followed.
    expect((await call('POST', `${apps()}/deployments`, withAnnotation('nul-one', entries(1)))).status).toBe(201);
    const fired = await pollUntil(() => webImage(`${apps()}/deployments/nul-one`), (v) => v.image !== ' ');
    expect(fired.image).toBe(`quay.io/acme/nul@${digest('9')}`);
    await new Promise((r) => setTimeout(r, 500));
    expect((await webImage(`${apps()}/deployments/nul-two`)).image).toBe(' ');
  });

  it('a StatefulSet with an initContainer entry and a container entry in one annotation: one update, one record; editing the annotation re-points it, removing it stops it', async () => {
    const sts = () => `${apps()}/statefulsets/sts`;
    for (const s of ['sts-web', 'sts-init', 'sts-other']) expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: s } })).status).toBe(201);
    await map('sts-web', digest('1'));
    await map('sts-init', digest('2'));
    const created = await call('POST', `${apps()}/statefulsets`, {
      metadata: {
        name: 'sts',
        annotations: annotation([
          { from: { kind: 'ImageStreamTag', name: 'sts-web:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' },
          { from: { kind: 'ImageStreamTag', name: 'sts-init:latest' }, fieldPath: 'spec.template.spec.initContainers[?(@.name=="setup")].image' },
        ]),
      },
      spec: {
        serviceName: 'sts',
        selector: { matchLabels: { app: 'sts' } },
        template: { metadata: { labels: { app: 'sts' } }, spec: { initContainers: [{ name: 'setup', image: 'x' }], containers: [{ name: 'web', image: 'y' }] } },
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toBeNull();
    const podSpec = async () => (await call('GET', sts())).body.spec.template.spec as { initContainers: { image: string }[]; containers: { image: string }[] };
    const first = await pollUntil(podSpec, (p) => p.containers[0]!.image !== 'y');
    expect(first.containers[0]!.image).toBe(`quay.io/acme/sts-web@${digest('1')}`);
    expect(first.initContainers[0]!.image).toBe(`quay.io/acme/sts-init@${digest('2')}`);
    // First sight of both tags is one update of the workload, recorded once with the combined patch.
    const [record, ...more] = await listDeliveries(server.url, 'demo', 'sts');
    expect(more).toEqual([]);
    expect(record.status.state).toBe('applied');
    expect(record.spec.event.data.patch).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `quay.io/acme/sts-web@${digest('1')}` },
      { op: 'replace', path: '/spec/template/spec/initContainers/0/image', value: `quay.io/acme/sts-init@${digest('2')}` },
    ]);
    expect(record.spec.event.data.changes.map((c: any) => [c.fieldPath, c.old.pullSpec])).toEqual([
      ['spec.template.spec.containers[?(@.name=="web")].image', 'y'],
      ['spec.template.spec.initContainers[?(@.name=="setup")].image', 'x'],
    ]);

    // An edit of the annotation is reconciled at once (upstream re-queues an object whose triggers changed).
    await map('sts-other', digest('3'));
    const edited = await call(
      'PATCH',
      sts(),
      { metadata: { annotations: annotation([{ from: { kind: 'ImageStreamTag', name: 'sts-other:latest' }, fieldPath: 'spec.template.spec.containers[0].image' }]) } },
      'application/merge-patch+json',
    );
    expect(edited.status).toBe(200);
    const repointed = await pollUntil(podSpec, (p) => p.containers[0]!.image.includes('sts-other'));
    expect(repointed.containers[0]!.image).toBe(`quay.io/acme/sts-other@${digest('3')}`);
    expect(repointed.initContainers[0]!.image).toBe(`quay.io/acme/sts-init@${digest('2')}`);

    // Without the annotation nothing follows the tags any more.
    const removed = await call('PATCH', sts(), { metadata: { annotations: { 'image.openshift.io/triggers': null } } }, 'application/merge-patch+json');
    expect(removed.status).toBe(200);
    const rv = removed.body.metadata.resourceVersion;
    await map('sts-other', digest('4'));
    await map('sts-init', digest('5'));
    await new Promise((r) => setTimeout(r, 1000));
    const after = await call('GET', sts());
    expect(after.body.metadata.resourceVersion).toBe(rv);
    expect(after.body.spec.template.spec.containers[0].image).toBe(`quay.io/acme/sts-other@${digest('3')}`);
  });
});
