import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { expireChangeLog } from './support/test-database';
import { kubectlFound, type KubectlRun, type KubectlWorkspace, kubectlWorkspace } from './support/kubectl';

/** kubectl 1.32 workflows beyond create/get/apply: migrating between apply modes, watches, lists. */
const suite = kubectlFound ? describe : describe.skip;
if (!kubectlFound) console.warn('test/kubectl-workflows.int-spec.ts skipped: `kubectl` is not on PATH');

const stream = (name: string, image: string, team: string) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  labels: {team: ${team}}
spec:
  tags:
  - name: latest
    from: {kind: ImageStreamTag, name: "${image}"}
`;

suite(kubectlFound ? 'kubectl workflows' : 'kubectl workflows (skipped: kubectl is not on PATH)', () => {
  let api: TestApi;
  let ws: KubectlWorkspace;

  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => ws.run(args, input);
  const ok = (args: string[], input?: string): Promise<string> => ws.ok(args, input);
  const file = (name: string, text: string): string => ws.write(name, text);

  beforeAll(async () => {
    api = await startTestApi();
    ws = kubectlWorkspace(api.url, 'wf');
  });
  afterAll(async () => {
    await api.close();
    ws.remove();
  });

  it('apply --server-side of a changed file over client-side apply takes the fields last-applied describes (no conflict), as kube-apiserver', async () => {
    expect(await ok(['apply', '-f', file('a1.yaml', stream('moved', '3.1', 'web'))])).toBe('imagestream.image.openshift.io/moved created\n');
    const changed = file('a2.yaml', stream('moved', '3.2', 'web'));
    // diff and apply both send an apply as manager "kubectl": the values client-side apply set are still live.
    const diff = await kubectl(['diff', '--server-side', '-f', changed]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('+      name: "3.2"');
    expect(diff.stderr).not.toContain('conflict');
    expect(await ok(['apply', '--server-side', '-f', changed])).toBe('imagestream.image.openshift.io/moved serverside-applied\n');
    const after = (await call('GET', `${api.base}/namespaces/wf/imagestreams/moved`)).body;
    expect(after.spec.tags[0].from.name).toBe('3.2');
    const entries: { manager: string; operation: string; time: string }[] = after.metadata.managedFields;
    expect(entries.map((m) => `${m.manager}/${m.operation}`).sort()).toEqual(['kubectl-last-applied/Apply', 'kubectl/Apply']);
    // kube-apiserver's order: by time (whole seconds), then by manager name, so which comes first
    // depends on whether the two applies fell in the same second.
    const [first, second] = entries;
    expect(first!.time < second!.time || (first!.time === second!.time && first!.manager < second!.manager)).toBe(true);
  });

  it('a field changed by another manager since the last client-side apply still conflicts; --force-conflicts takes it', async () => {
    await ok(['apply', '-f', file('b1.yaml', stream('taken', '3.1', 'web'))]);
    await ok(['label', 'is', 'taken', 'team=ops', '--overwrite']);
    const changed = file('b2.yaml', stream('taken', '3.2', 'dev'));
    const refused = await kubectl(['apply', '--server-side', '-f', changed]);
    expect(refused.code).toBe(1);
    // Only the label conflicts: the tag still holds what last-applied says, so it may be taken.
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-label" using image.openshift.io/v1: .metadata.labels.team');
    expect((await call('GET', `${api.base}/namespaces/wf/imagestreams/taken`)).body.spec.tags[0].from.name).toBe('3.1');
    expect(await ok(['apply', '--server-side', '--force-conflicts', '-f', changed])).toBe('imagestream.image.openshift.io/taken serverside-applied\n');
    const after = (await call('GET', `${api.base}/namespaces/wf/imagestreams/taken`)).body;
    expect(after.metadata.labels).toEqual({ team: 'dev' });
    expect(after.spec.tags[0].from.name).toBe('3.2');
  });

  it('another field manager gets no such allowance: its apply conflicts with client-side apply', async () => {
    await ok(['apply', '-f', file('c1.yaml', stream('other', '3.1', 'web'))]);
    const run = await kubectl(['apply', '--server-side', '--field-manager=ci', '-f', file('c2.yaml', stream('other', '3.2', 'web'))]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('conflict with "kubectl-client-side-apply" using image.openshift.io/v1: .spec.tags[name="latest"].from.name');
  });

  // Both kinds' watches run at once: each lasts its full 4 s, and one after the other they doubled that.
  it('a watch of imagestreams and of tagchangeevents with allowWatchBookmarks gets a BOOKMARK 2 s before timeoutSeconds ends it, as kube-apiserver', async () => {
    const watchBookmarks = async (path: string) => {
      const started = Date.now();
      const run = await ok(['get', '--raw', `${path}?watch=true&allowWatchBookmarks=true&timeoutSeconds=4`]);
      const elapsed = Date.now() - started;
      const events = run
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string; object: { metadata: { resourceVersion: string } } });
      // A watch without a version is a watch-list (kube-apiserver's WatchList default): its initial
      // state ends with the annotated bookmark. The periodic bookmark (30 s) is far off: the other
      // one is the watch cache's last call before the deadline.
      const bookmarks = events.filter((e) => e.type === 'BOOKMARK') as { object: { metadata: { resourceVersion: string; annotations?: object } } }[];
      expect({ path, bookmarks: bookmarks.map((e) => e.object.metadata.annotations !== undefined) }).toEqual({ path, bookmarks: [true, false] });
      expect(bookmarks[1]!.object.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(elapsed).toBeGreaterThanOrEqual(3900);
    };
    await Promise.all([
      watchBookmarks('/apis/image.openshift.io/v1/namespaces/wf/imagestreams'),
      watchBookmarks('/apis/triggers.imagestreamd.io/v1/namespaces/wf/tagchangeevents'),
    ]);
  });

  it('a watch shorter than 2 s gets no BOOKMARK, and none without allowWatchBookmarks', async () => {
    const base = '/apis/image.openshift.io/v1/namespaces/wf/imagestreams?watch=true&resourceVersion=';
    const rv = JSON.parse(await ok(['get', '--raw', '/apis/image.openshift.io/v1/namespaces/wf/imagestreams'])).metadata.resourceVersion as string;
    // Independent watches over the same quiet namespace: run at once, the file waits 3 s instead of 4.
    const [short, unasked] = await Promise.all([
      ok(['get', '--raw', `${base}${rv}&allowWatchBookmarks=true&timeoutSeconds=1`]),
      ok(['get', '--raw', `${base}${rv}&timeoutSeconds=3`]),
    ]);
    expect(short).toBe('');
    expect(unasked).toBe('');
  });

  it('kubectl events (list, --for, -A, get ev) answers an empty EventList: no events are recorded, but the commands work', async () => {
    await ok(['apply', '-f', file('ev.yaml', stream('evented', '3.1', 'web'))]);
    // Every command below only reads: one kubectl process each, all at once.
    const [events, eventsFor, eventsAll, getEv, rawList, badSelector, noName, resources, explained, watchList] = await Promise.all([
      kubectl(['events']),
      kubectl(['events', '--for', 'is/evented']),
      kubectl(['events', '-A']),
      kubectl(['get', 'ev']),
      ok(['get', '--raw', '/api/v1/namespaces/wf/events?fieldSelector=involvedObject.kind%3DImageStream&limit=10']),
      kubectl(['get', '--raw', '/api/v1/events?fieldSelector=spec.x%3Dy']),
      kubectl(['get', 'ev', 'nope']),
      ok(['api-resources', '--api-group=', '-o', 'name']),
      ok(['explain', 'events.involvedObject']),
      // A watch-list (client-go's WatchListClient) gets the end of the empty initial state at once.
      ok(['get', '--raw', '/api/v1/namespaces/wf/events?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1']),
    ]);
    expect(events.stderr).toBe('No events found in wf namespace.\n');
    expect(eventsFor.stderr).toBe('No events found in wf namespace.\n');
    expect(eventsAll.stderr).toBe('No events found.\n');
    expect(getEv.stderr).toBe('No resources found in wf namespace.\n');
    expect(JSON.parse(rawList)).toEqual({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) }, items: [] });
    // Selectors are still checked, and a name is a NotFound, as for any kind.
    expect(badSelector.stderr).toContain('Error from server (BadRequest)');
    expect(noName.stderr).toBe('Error from server (NotFound): events "nope" not found\n');
    expect(resources).toBe(
      'configmaps\nendpoints\nevents\nlimitranges\nnamespaces\npersistentvolumeclaims\npersistentvolumes\npods\nreplicationcontrollers\nresourcequotas\nsecrets\nservices\n',
    );
    expect(explained).toMatch(/^KIND: +Event\nVERSION: +v1\n/);
    expect(JSON.parse(watchList.trim().split('\n')[0]!)).toEqual({
      type: 'BOOKMARK',
      object: {
        kind: 'Event',
        apiVersion: 'v1',
        metadata: {
          resourceVersion: expect.stringMatching(/^\d+$/),
          // An empty EventList as kube's JSON serializer writes it, base64 (kube-apiserver 1.32's list blueprint).
          annotations: { 'k8s.io/initial-events-end': 'true', 'kubernetes.io/initial-events-list-blueprint': 'eyJraW5kIjoiRXZlbnRMaXN0IiwiYXBpVmVyc2lvbiI6InYxIiwibWV0YWRhdGEiOnt9LCJpdGVtcyI6bnVsbH0K' },
        },
      },
    });
  });

  it('kubectl describe of every image kind reads its events with a field selector and gets an answer (200, Events: <none>)', async () => {
    const image = `sha256:${'e'.repeat(64)}`;
    const mapped = await call('POST', `${api.base}/namespaces/wf/imagestreammappings`, {
      metadata: { name: 'evented' },
      tag: '3.1',
      image: { metadata: { name: image }, dockerImageReference: `quay.io/wf/evented@${image}` },
    });
    expect(mapped.status).toBe(201);
    // The describes only read: one kubectl process each, all at once.
    const targets = ['is/evented', 'istag/evented:3.1', 'itag/evented:3.1', `isimage/evented@${image}`, `images/${image}`];
    const runs = await Promise.all(targets.map((target) => kubectl(['describe', target, '-v=6'])));
    targets.forEach((target, i) => {
      const run = runs[i]!;
      expect({ target, code: run.code }).toEqual({ target, code: 0 });
      expect(run.stdout).toMatch(/\nEvents: +<none>\n$/);
      const eventsRequest = run.stderr.split('\n').find((l) => l.includes('/events?fieldSelector=involvedObject'));
      expect(eventsRequest).toContain('200 OK');
    });
  });

  it('pages: remainingItemCount counts what follows each page when nothing is selected; kubectl get --chunk-size follows the continue tokens', async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      expect((await call('POST', `${api.base}/namespaces/pages/imagestreams`, { metadata: { name: `p${n}`, labels: { odd: String(n % 2) } } })).status).toBe(201);
    }
    const path = '/apis/image.openshift.io/v1/namespaces/pages/imagestreams';
    const first = JSON.parse(await ok(['get', '--raw', `${path}?limit=2`]));
    expect(first.items.map((i: any) => i.metadata.name)).toEqual(['p1', 'p2']);
    expect(first.metadata.remainingItemCount).toBe(3);
    const second = JSON.parse(await ok(['get', '--raw', `${path}?limit=2&continue=${first.metadata.continue}`]));
    expect(second.metadata.remainingItemCount).toBe(1);
    const last = JSON.parse(await ok(['get', '--raw', `${path}?limit=2&continue=${second.metadata.continue}`]));
    expect(last.items.map((i: any) => i.metadata.name)).toEqual(['p5']);
    expect(last.metadata).toEqual({ resourceVersion: first.metadata.resourceVersion });
    // With a selector kube-apiserver does not count (its count would include non-matching objects).
    const selected = JSON.parse(await ok(['get', '--raw', `${path}?limit=1&labelSelector=odd%3D1`]));
    expect(selected.metadata.continue).toBeDefined();
    expect(selected.metadata.remainingItemCount).toBeUndefined();
    const chunked = await kubectl(['get', 'is', '-n', 'pages', '--chunk-size=2', '-o', 'name', '-v=6']);
    expect(chunked.stdout.trim().split('\n')).toEqual(['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => `imagestream.image.openshift.io/${n}`));
    expect(chunked.stderr.split('\n').filter((l) => l.includes('GET') && l.includes('/namespaces/pages/imagestreams?'))).toHaveLength(3);
  });

  it('resourceVersionMatch=Exact lists the objects as they were at that version (every page); NotOlderThan lists the current ones', async () => {
    const path = '/apis/image.openshift.io/v1/namespaces/exact/imagestreams';
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const map = async (image: string) => {
      const res = await call('POST', `${api.base}/namespaces/exact/imagestreammappings`, {
        metadata: { name: 'e1' },
        tag: 'latest',
        image: { metadata: { name: image }, dockerImageReference: `quay.io/exact/e1@${image}` },
      });
      expect(res.status).toBe(201);
    };
    for (const n of ['e1', 'e2', 'e3']) expect((await call('POST', `${api.base}/namespaces/exact/imagestreams`, { metadata: { name: n } })).status).toBe(201);
    await map(digest('1'));
    const before = JSON.parse(await ok(['get', '--raw', path]));
    const rv = before.metadata.resourceVersion as string;
    // Then: one deleted, one relabelled, one created, and the tag moved on.
    await ok(['delete', 'is', 'e2', '-n', 'exact']);
    await ok(['label', 'is', 'e3', 'moved=yes', '-n', 'exact']);
    expect((await call('POST', `${api.base}/namespaces/exact/imagestreams`, { metadata: { name: 'e4' } })).status).toBe(201);
    await map(digest('2'));

    const exact = JSON.parse(await ok(['get', '--raw', `${path}?resourceVersion=${rv}&resourceVersionMatch=Exact`]));
    expect(exact.metadata).toEqual({ resourceVersion: rv });
    expect(exact.items).toEqual(before.items);
    expect(exact.items[0].status.tags[0].items.map((e: any) => e.image)).toEqual([digest('1')]);
    // Pages of an Exact list stay at that version.
    const first = JSON.parse(await ok(['get', '--raw', `${path}?resourceVersion=${rv}&resourceVersionMatch=Exact&limit=2`]));
    expect(first.items.map((i: any) => i.metadata.name)).toEqual(['e1', 'e2']);
    expect(first.metadata.continue).toEqual(expect.any(String));
    const second = JSON.parse(await ok(['get', '--raw', `${path}?limit=2&continue=${first.metadata.continue}`]));
    expect(second.metadata).toEqual({ resourceVersion: rv });
    expect(second.items).toEqual([before.items[2]]);
    // Selectors apply to the objects as they were.
    expect(JSON.parse(await ok(['get', '--raw', `${path}?resourceVersion=${rv}&resourceVersionMatch=Exact&labelSelector=moved`])).items).toEqual([]);

    const newer = JSON.parse(await ok(['get', '--raw', `${path}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`]));
    expect(newer.items.map((i: any) => i.metadata.name)).toEqual(['e1', 'e3', 'e4']);
    expect(BigInt(newer.metadata.resourceVersion)).toBeGreaterThan(BigInt(rv));
    expect(newer.items[0].status.tags[0].items.map((e: any) => e.image)).toEqual([digest('2'), digest('1')]);
  });

  it('kubectl explain --recursive describes every kind of both groups (the list operations name the item kind, as kube-apiserver publishes them)', async () => {
    const kinds = (await ok(['api-resources', '-o', 'name'])).trim().split('\n').filter((r) => /\.(image\.openshift\.io|triggers\.imagestreamd\.io)$/.test(r));
    expect(kinds).toHaveLength(14);
    const explain = async (resource: string) => {
      const run = await kubectl(['explain', resource, '--recursive']);
      expect({ resource, code: run.code, stderr: run.stderr }).toEqual({ resource, code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^GROUP: +\S+\nKIND: +[A-Za-z]+\nVERSION: +v1\n/);
      expect(run.stdout).not.toMatch(/^KIND: +\w+List$/m);
    };
    // The first fills the workspace's OpenAPI cache alone; the others only read it, four processes
    // at a time (one after another they took most of this test's time).
    await explain(kinds[0]!);
    for (let from = 1; from < kinds.length; from += 4) await Promise.all(kinds.slice(from, from + 4).map(explain));
    const [cause, image, redrive] = await Promise.all([
      ok(['explain', 'tagchangeevent.cause']),
      ok(['explain', 'pushpreview.spec.image']),
      ok(['explain', 'deliveryredrive.spec']),
    ]);
    expect(cause).toContain('What changed the tag');
    expect(image).toContain('Digest of the image being pushed');
    expect(redrive).toContain('trigger\t<string>');
  });

  it('resourceVersionMatch=Exact at a version older than the retained change log is 410 Expired, as for a compacted revision', async () => {
    await call('POST', `${api.base}/namespaces/expired/imagestreams`, { metadata: { name: 'x1' } });
    await expireChangeLog(api.databaseUrl);
    const run = await kubectl(['get', '--raw', '/apis/image.openshift.io/v1/namespaces/expired/imagestreams?resourceVersion=1&resourceVersionMatch=Exact']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error from server (Expired): The resourceVersion for the provided list is too old.');
  });

  it('get --field-selector reads the selector as apimachinery does: escaped commas, a trailing comma, sorted terms parsed before fields are checked', async () => {
    expect((await call('POST', `${api.base}/namespaces/fields/imagestreams`, { metadata: { name: 'web' } })).status).toBe(201);
    // `a\,b` is one value (no stream has that name); a trailing comma adds an empty term, which is skipped.
    // Reads only: one kubectl process each, all at once.
    const select = (selector: string, ...more: string[]) => kubectl(['get', 'is', '-n', 'fields', '--field-selector', selector, ...more]);
    const [escaped, trailing, unparsable, unknown, badEscape] = await Promise.all([
      select('metadata.name=a\\,b'),
      select('metadata.name=web,', '-o', 'name'),
      select('spec.x=y,zzz'),
      select('spec.z=1,spec.a=2'),
      select('metadata.name=a=b'),
    ]);
    expect(escaped).toMatchObject({ code: 0, stdout: '' });
    expect(escaped.stderr).toContain('No resources found in fields namespace.');
    expect(trailing).toMatchObject({ code: 0, stdout: 'imagestream.image.openshift.io/web\n' });
    // Terms are sorted, and all parsed before the kind's field label conversion names the first unknown one.
    expect(unparsable.code).toBe(1);
    expect(unparsable.stderr).toContain(`invalid selector: 'spec.x=y,zzz'; can't understand 'zzz'`);
    expect(unknown.stderr).toContain('"spec.a" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(badEscape.stderr).toContain('Error from server (BadRequest): Unable to find "image.openshift.io/v1, Resource=imagestreams" that match label selector "", field selector "metadata.name=a=b": invalid field selector: unescaped character in value: 61');
  });

  it('get --field-selector on limits and quota words an unknown field as the apimachinery default conversion does (neither kind registers its own); ns and ev keep theirs', async () => {
    // Reads only: one kubectl process each, all at once.
    const [limits, quota, ns, ev, quotaByNamespace] = await Promise.all([
      kubectl(['get', 'limits', '-n', 'fields', '--field-selector', 'spec.x=1']),
      kubectl(['get', 'quota', '-n', 'fields', '--field-selector', 'spec.x=1']),
      kubectl(['get', 'ns', '--field-selector', 'spec.x=1']),
      kubectl(['get', 'ev', '-n', 'fields', '--field-selector', 'spec.x=1']),
      kubectl(['get', 'quota', '-n', 'fields', '--field-selector', 'metadata.namespace=fields']),
    ]);
    for (const [resource, run] of [['limits', limits], ['quota', quota]] as const) {
      expect({ resource, code: run.code }).toEqual({ resource, code: 1 });
      expect(run.stderr).toContain('"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
    }
    expect(ns.stderr).toContain('field label not supported: spec.x');
    expect(ev.stderr).toContain('field label not supported: spec.x');
    expect(quotaByNamespace.code).toBe(0);
  });

  it('get --raw of a legacy /watch/ path of a kind that cannot be watched is 404 (kube-apiserver installs none); ?watch=1 on its list path is 405', async () => {
    const base = '/apis/image.openshift.io/v1';
    const paths = ['watch/namespaces/legacy/imagestreamtags', 'watch/namespaces/legacy/imagestreamtags/a:b', 'watch/imagetags', 'watch/namespaces/legacy/imagestreammappings', 'watch/imagesignatures'];
    const runs = await Promise.all(paths.map((path) => kubectl(['get', '--raw', `${base}/${path}`])));
    paths.forEach((path, i) => {
      expect([path, runs[i]!.code, runs[i]!.stderr.trim()]).toEqual([path, 1, 'Error from server (NotFound): the server could not find the requested resource']);
    });
    const listWatch = await kubectl(['get', '--raw', `${base}/namespaces/legacy/imagestreamtags?watch=1`]);
    expect(listWatch.stderr.trim()).toBe('Error from server (MethodNotAllowed): watch is not supported on resources of kind "imagestreamtags.image.openshift.io"');
    // Kinds that can be watched keep their legacy paths.
    const watched = await kubectl(['get', '--raw', `${base}/watch/namespaces/legacy/imagestreams?timeoutSeconds=1`]);
    expect(watched.code).toBe(0);
  });
});
