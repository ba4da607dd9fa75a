import { chmodSync } from 'node:fs';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { expireChangeLog } from './support/test-database';
import { ClientNode } from './support/client-node';
import { kubectlFound, type KubectlRun, type KubectlWorkspace, kubectlWorkspace } from './support/kubectl';

/**
 * What kubectl 1.32 and @kubernetes/client-node do against the image API, answered as
 * kube-apiserver / openshift-apiserver answer it: paged lists of the tag views, and the
 * everyday commands a user runs on image kinds.
 */
const suite = kubectlFound ? describe : describe.skip;
if (!kubectlFound) console.warn('test/kubectl-sweep.int-spec.ts skipped: `kubectl` is not on PATH');

const digest = (c: string) => `sha256:${c.repeat(64)}`;

suite(kubectlFound ? 'kubectl sweep' : 'kubectl sweep (skipped: kubectl is not on PATH)', () => {
  let api: TestApi;
  let ws: KubectlWorkspace;

  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => ws.run(args, input);
  const ok = (args: string[], input?: string): Promise<string> => ws.ok(args, input);
  const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);

  /** Points `<stream>:<tag>` of `namespace` at a new Image, as a registry push does. */
  const push = async (namespace: string, stream: string, tag: string, image: string) => {
    const created = await call('POST', `${api.base}/namespaces/${namespace}/imagestreams`, { metadata: { name: stream } });
    expect([201, 409]).toContain(created.status);
    const res = await call('POST', `${api.base}/namespaces/${namespace}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/${namespace}/${stream}@${image}` },
    });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    api = await startTestApi();
    ws = kubectlWorkspace(api.url, 'sweep');
    // Streams in key order a < a-b < empty < z; `a-b:x` sorts before `a:1` by full name, so the
    // pages must follow (stream, tag), not the view's name. z:future is spec-only (an itag, no istag).
    await push('tagpages', 'a', '1', digest('1'));
    await push('tagpages', 'a', '2', digest('2'));
    await push('tagpages', 'a', 'latest', digest('2'));
    await push('tagpages', 'a-b', 'x', digest('3'));
    expect((await call('POST', `${api.base}/namespaces/tagpages/imagestreams`, { metadata: { name: 'empty', labels: { kind: 'empty' } } })).status).toBe(201);
    await push('tagpages', 'z', '1', digest('4'));
    const future = { metadata: { name: 'z:future' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/tagpages/z:future' } } };
    expect((await call('POST', `${api.base}/namespaces/tagpages/imagestreamtags`, future)).status).toBe(201);
    await push('otherpages', 'o', '1', digest('5'));
  });
  afterAll(async () => {
    await api?.close();
    ws?.remove();
  });

  describe('paged lists of imagestreamtags and imagetags', () => {
    const path = (resource: string, query: string, namespace: string | null = 'tagpages') =>
      `${api.base}${namespace ? `/namespaces/${namespace}` : ''}/${resource}?${query}`;

    it('istag pages follow (stream, tag) with continue and remainingItemCount; later pages keep the first page resourceVersion and streams', async () => {
      const whole = (await call('GET', path('imagestreamtags', ''))).body;
      expect(names(whole)).toEqual(['a:1', 'a:2', 'a:latest', 'a-b:x', 'z:1']);
      expect(whole.metadata.continue).toBeUndefined();

      const first = (await call('GET', path('imagestreamtags', 'limit=2'))).body;
      expect(names(first)).toEqual(['a:1', 'a:2']);
      expect(first.metadata).toEqual({ resourceVersion: whole.metadata.resourceVersion, continue: expect.any(String), remainingItemCount: 3 });
      // A stream created after the first page is not in the later ones (kube-apiserver serves them at the first page's snapshot).
      await push('tagpages', 'b', '1', digest('6'));
      const second = (await call('GET', path('imagestreamtags', `limit=2&continue=${first.metadata.continue}`))).body;
      expect(names(second)).toEqual(['a:latest', 'a-b:x']);
      expect(second.metadata).toEqual({ resourceVersion: first.metadata.resourceVersion, continue: expect.any(String), remainingItemCount: 1 });
      const last = (await call('GET', path('imagestreamtags', `limit=2&continue=${second.metadata.continue}`))).body;
      expect(last).toMatchObject({ kind: 'ImageStreamTagList', metadata: { resourceVersion: first.metadata.resourceVersion } });
      expect(names(last)).toEqual(['z:1']);
      expect(last.metadata.continue).toBeUndefined();
      expect(last.items[0]).toEqual(whole.items[4]);

      // A page that ends a stream's tags resumes at the next stream.
      const third = (await call('GET', path('imagestreamtags', 'limit=3'))).body;
      expect(names((await call('GET', path('imagestreamtags', `limit=3&continue=${third.metadata.continue}`))).body)).toEqual(['a-b:x', 'b:1', 'z:1']);
      await call('DELETE', `${api.base}/namespaces/tagpages/imagestreams/b`);
    });

    it('a page reaches past streams with no tagged image (they are read in growing batches)', async () => {
      for (let i = 0; i < 12; i++) {
        const pending = { metadata: { name: `e${String(i).padStart(2, '0')}` }, spec: { tags: [{ name: 'pending', from: { kind: 'ImageStreamTag', name: 'nothing' } }] } };
        expect((await call('POST', `${api.base}/namespaces/sparse/imagestreams`, pending)).status).toBe(201);
      }
      await push('sparse', 'z1', 'v1', digest('b'));
      await push('sparse', 'z2', 'v1', digest('c'));
      const first = (await call('GET', path('imagestreamtags', 'limit=1', 'sparse'))).body;
      expect(names(first)).toEqual(['z1:v1']);
      expect(first.metadata.remainingItemCount).toBe(1);
      const rest = (await call('GET', path('imagestreamtags', `limit=1&continue=${first.metadata.continue}`, 'sparse'))).body;
      expect(names(rest)).toEqual(['z2:v1']);
      expect(rest.metadata.continue).toBeUndefined();
      // ImageTags show the spec-only tags: 14 of them, 12 before z1.
      const itags = (await call('GET', path('imagetags', 'limit=13', 'sparse'))).body;
      expect(names(itags).slice(-2)).toEqual(['e11:pending', 'z1:v1']);
      expect(itags.metadata.remainingItemCount).toBe(1);
    });

    it('a page resumes after its last tag when that tag or its stream is gone; a stream recreated since the first page is left out', async () => {
      for (const [stream, tag, c] of [['m1', 'a', 'd'], ['m1', 'b', 'e'], ['m2', 'a', 'f'], ['m3', 'a', '0']] as const) await push('moving', stream, tag, digest(c));
      const first = (await call('GET', path('imagestreamtags', 'limit=1', 'moving'))).body;
      expect(names(first)).toEqual(['m1:a']);
      expect((await call('DELETE', `${api.base}/namespaces/moving/imagestreamtags/m1:a`)).status).toBe(200);
      const second = (await call('GET', path('imagestreamtags', `limit=1&continue=${first.metadata.continue}`, 'moving'))).body;
      expect(names(second)).toEqual(['m1:b']);
      expect((await call('DELETE', `${api.base}/namespaces/moving/imagestreams/m1`)).status).toBe(200);
      expect((await call('DELETE', `${api.base}/namespaces/moving/imagestreams/m2`)).status).toBe(200);
      await push('moving', 'm2', 'z', digest('1'));
      const rest = (await call('GET', path('imagestreamtags', `limit=5&continue=${second.metadata.continue}`, 'moving'))).body;
      expect(names(rest)).toEqual(['m3:a']);
    });

    it('pages through tags whose names hold a colon (a mapping may name one so; no name check upstream either)', async () => {
      await push('colons', 'c', 'a:b', digest('2'));
      await push('colons', 'c', 'a:c', digest('3'));
      await push('colons', 'd', 'x', digest('4'));
      for (const resource of ['imagestreamtags', 'imagetags']) {
        const seen: string[] = [];
        let token = '';
        do {
          const page = await call('GET', path(resource, `limit=1${token ? `&continue=${token}` : ''}`, 'colons'));
          expect(page.status).toBe(200);
          seen.push(...names(page.body));
          token = page.body.metadata.continue ?? '';
        } while (token);
        expect({ resource, seen }).toEqual({ resource, seen: ['c:a:b', 'c:a:c', 'd:x'] });
      }
    });

    it('itag pages include spec-only tags; selectors page without a count; every namespace pages across them', async () => {
      const first = (await call('GET', path('imagetags', 'limit=4'))).body;
      expect(names(first)).toEqual(['a:1', 'a:2', 'a:latest', 'a-b:x']);
      expect(first.metadata.remainingItemCount).toBe(2);
      const rest = (await call('GET', path('imagetags', `limit=4&continue=${first.metadata.continue}`))).body;
      expect(names(rest)).toEqual(['z:1', 'z:future']);
      expect(rest.metadata.continue).toBeUndefined();

      const selected = (await call('GET', path('imagestreamtags', 'limit=1&fieldSelector=metadata.name%21%3Da%3A1'))).body;
      expect(names(selected)).toEqual(['a:2']);
      expect(selected.metadata.continue).toEqual(expect.any(String));
      expect(selected.metadata.remainingItemCount).toBeUndefined();
      const selectedRest = (await call('GET', path('imagestreamtags', `limit=10&fieldSelector=metadata.name%21%3Da%3A1&continue=${selected.metadata.continue}`))).body;
      expect(names(selectedRest)).toEqual(['a:latest', 'a-b:x', 'z:1']);

      const keys = (list: any) => list.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`);
      const whole = keys((await call('GET', path('imagestreamtags', '', null))).body);
      expect(whole.filter((k: string) => /^(otherpages|tagpages)\//.test(k))).toEqual(['otherpages/o:1', 'tagpages/a:1', 'tagpages/a:2', 'tagpages/a:latest', 'tagpages/a-b:x', 'tagpages/z:1']);
      const everywhere = (await call('GET', path('imagestreamtags', 'limit=5', null))).body;
      expect(keys(everywhere)).toEqual(whole.slice(0, 5));
      expect(everywhere.metadata.remainingItemCount).toBe(whole.length - 5);
      const everywhereRest = (await call('GET', path('imagestreamtags', `limit=${whole.length}&continue=${everywhere.metadata.continue}`, null))).body;
      expect(keys(everywhereRest)).toEqual(whole.slice(5));
      // A namespace requirement selects, also across namespaces (and pages without a count).
      const inOther = (await call('GET', path('imagestreamtags', 'limit=1&fieldSelector=metadata.namespace%3Dotherpages', null))).body;
      expect(inOther.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['otherpages/o:1']);
      expect(inOther.metadata.remainingItemCount).toBeUndefined();
      const notTagpages = keys((await call('GET', path('imagetags', 'fieldSelector=metadata.namespace%21%3Dtagpages', null))).body);
      expect(notTagpages.filter((k: string) => k.startsWith('tagpages/'))).toEqual([]);
      expect(notTagpages).toContain('otherpages/o:1');
      // A token names a position in one namespace's list.
      const foreign = await call('GET', path('imagestreamtags', `limit=5&continue=${first.metadata.continue}`, 'otherpages'));
      expect(foreign.status).toBe(400);
    });

    it('kubectl get --chunk-size follows the continue tokens of istag and itag lists', async () => {
      for (const [resource, expected] of [
        ['istag', ['a:1', 'a:2', 'a:latest', 'a-b:x', 'z:1']],
        ['itag', ['a:1', 'a:2', 'a:latest', 'a-b:x', 'z:1', 'z:future']],
      ] as const) {
        const run = await kubectl(['get', resource, '-n', 'tagpages', '--chunk-size=2', '-o', 'custom-columns=NAME:.metadata.name', '--no-headers', '-v=6']);
        expect(run.code).toBe(0);
        expect(run.stdout.trim().split('\n')).toEqual(expected);
        expect(run.stderr.split('\n').filter((l) => l.includes(' GET ') && l.includes('/namespaces/tagpages/image') && l.includes('limit=2'))).toHaveLength(Math.ceil(expected.length / 2));
      }
    });

    it('a zero or negative limit lists everything, as kube-apiserver pages only when limit > 0; a limit that is no integer is 400', async () => {
      for (const resource of ['imagestreamtags', 'imagestreams']) {
        const whole = (await call('GET', path(resource, ''))).body;
        for (const limit of ['0', '-1', '-9223372036854775808']) {
          const res = await call('GET', path(resource, `limit=${limit}`));
          expect({ resource, limit, status: res.status, names: names(res.body), continue: res.body.metadata.continue }).toEqual({ resource, limit, status: 200, names: names(whole), continue: undefined });
        }
        expect((await call('GET', path(resource, 'limit=x'))).status).toBe(400);
      }
      const run = await kubectl(['get', '--raw', '/apis/image.openshift.io/v1/namespaces/tagpages/imagestreams?limit=-1']);
      expect(run.code).toBe(0);
    });

    it('resourceVersionMatch=Exact lists the tags as they were at that version, reported at it (openshift-apiserver hands it to the stream list)', async () => {
      await push('exacttags', 'e1', 'latest', digest('7'));
      await push('exacttags', 'e2', 'v1', digest('8'));
      const before = { istag: (await call('GET', path('imagestreamtags', '', 'exacttags'))).body, itag: (await call('GET', path('imagetags', '', 'exacttags'))).body };
      const rv = before.istag.metadata.resourceVersion as string;
      // Then: a tag moved, a stream created, a spec tag added, a stream relabelled.
      await push('exacttags', 'e1', 'latest', digest('9'));
      await push('exacttags', 'e3', 'v1', digest('a'));
      expect((await call('PATCH', `${api.base}/namespaces/exacttags/imagestreams/e2`, { metadata: { labels: { moved: 'yes' } } }, 'application/merge-patch+json')).status).toBe(200);
      const added = { metadata: { name: 'e1:next' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/exacttags/e1:next' } } };
      expect((await call('POST', `${api.base}/namespaces/exacttags/imagestreamtags`, added)).status).toBe(201);

      for (const resource of ['imagestreamtags', 'imagetags'] as const) {
        const exact = (await call('GET', path(resource, `resourceVersion=${rv}&resourceVersionMatch=Exact`, 'exacttags'))).body;
        expect(exact.metadata).toEqual({ resourceVersion: rv });
        expect(exact.items).toEqual(before[resource === 'imagestreamtags' ? 'istag' : 'itag'].items);
      }
      // The version is read as a number, as kube's versioner parses it: leading zeros are not echoed.
      const padded = (await call('GET', path('imagestreamtags', `resourceVersion=00${rv}&resourceVersionMatch=Exact`, 'exacttags'))).body;
      expect(padded.metadata).toEqual({ resourceVersion: rv });
      const exactIstags = (await call('GET', path('imagestreamtags', `resourceVersion=${rv}&resourceVersionMatch=Exact&fieldSelector=metadata.name%3De1%3Alatest`, 'exacttags'))).body;
      expect(exactIstags.items.map((i: any) => i.image.metadata.name)).toEqual([digest('7')]);
      const now = (await call('GET', path('imagetags', '', 'exacttags'))).body;
      expect(names(now)).toEqual(['e1:latest', 'e1:next', 'e2:v1', 'e3:v1']);
      // Label selectors apply to the streams as they were.
      expect((await call('GET', path('imagestreamtags', `resourceVersion=${rv}&resourceVersionMatch=Exact&labelSelector=moved`, 'exacttags'))).body.items).toEqual([]);
    });

    it('a continue token older than the retained change log is 410 Expired with a fresh token that resumes the list', async () => {
      const first = (await call('GET', path('imagetags', 'limit=3'))).body;
      // A write after the first page, then a compaction up to it: the token's version is no longer retained.
      expect((await call('PATCH', `${api.base}/namespaces/tagpages/imagestreams/empty`, { metadata: { labels: { touched: 'yes' } } }, 'application/merge-patch+json')).status).toBe(200);
      await expireChangeLog(api.databaseUrl);
      const expired = await call('GET', path('imagetags', `limit=3&continue=${first.metadata.continue}`));
      expect(expired.status).toBe(410);
      expect(expired.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410, message: expect.stringContaining('The provided continue parameter is too old') });
      const fresh = (await call('GET', path('imagetags', `limit=3&continue=${expired.body.metadata.continue}`))).body;
      expect(names(fresh)).toEqual(['a-b:x', 'z:1', 'z:future']);
      const run = await kubectl(['get', '--raw', `/apis/image.openshift.io/v1/namespaces/tagpages/imagestreamtags?limit=3&continue=${first.metadata.continue}`]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Error from server (Expired): The provided continue parameter is too old');
    });

    it('client-node pages istags with limit and continue (CustomObjectsApi; KubernetesObjectApi.list reads list metadata as ObjectMeta and drops continue)', async () => {
      const client = new ClientNode(api.url, 'tagpages');
      try {
        await client.ready;
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await client.call('listCustom', { group: 'image.openshift.io', version: 'v1', namespace: 'tagpages', plural: 'imagestreamtags', limit: 2, _continue: token });
          seen.push(...names(page));
          token = page.metadata.continue;
          pages++;
        } while (token);
        expect(seen).toEqual(['a:1', 'a:2', 'a:latest', 'a-b:x', 'z:1']);
        expect(pages).toBe(3);
        const firstPage = await client.call('list', 'image.openshift.io/v1', 'ImageStreamTag', 'tagpages', undefined, undefined, undefined, undefined, undefined, 2);
        expect(names(firstPage)).toEqual(['a:1', 'a:2']);
      } finally {
        await client.terminate();
      }
    });
  });

  describe('everyday kubectl commands on the image kinds answer as openshift-apiserver does', () => {
    const istagFile = (name: string, from: string) => `apiVersion: image.openshift.io/v1
kind: ImageStreamTag
metadata:
  name: ${name}
tag:
  from: {kind: ImageStreamTag, name: "${from}"}
`;
    const stream = async (name: string) => (await call('GET', `${api.base}/namespaces/sweep/imagestreams/${name}`)).body;

    beforeAll(async () => {
      await push('sweep', 'web', '3.1', digest('d'));
      await push('sweep', 'web', '3.2', digest('e'));
    });

    it('create -f of an ImageStreamTag adds a spec tag (again: AlreadyExists); diff -f shows a change through a server-side dry run and changes nothing', async () => {
      expect(await ok(['create', '-f', ws.write('stable.yaml', istagFile('web:stable', '3.1'))])).toBe('imagestreamtag.image.openshift.io/web:stable created\n');
      const again = await kubectl(['create', '-f', ws.write('stable.yaml', istagFile('web:stable', '3.1'))]);
      expect(again.stderr).toContain('Error from server (AlreadyExists): error when creating');
      expect(again.stderr).toContain('imagestreamtag.image.openshift.io "web:stable" already exists');
      expect(await ok(['get', 'istag', 'web:stable', '-o', 'jsonpath={.image.metadata.name}'])).toBe(digest('d'));
      const before = await stream('web');
      const diff = await kubectl(['diff', '-f', ws.write('stable2.yaml', istagFile('web:stable', '3.2'))]);
      expect(diff.code).toBe(1);
      expect(diff.stdout).toContain(`-  dockerImageReference: quay.io/sweep/web@${digest('d')}`);
      expect(diff.stdout).toContain(`+  dockerImageReference: quay.io/sweep/web@${digest('e')}`);
      expect(await stream('web')).toEqual(before);
    });

    it('edit (KUBE_EDITOR) of an istag moves its spec tag; of a stream changes its labels', async () => {
      const editor = ws.write('editor.sh', '#!/bin/sh\nsed -i \'s/^    name: "3.1"$/    name: "3.2"/; s/^    team: web$/    team: edited/\' "$1"\n');
      chmodSync(editor, 0o755);
      const run = await ws.run(['edit', 'istag', 'web:stable'], undefined, { KUBE_EDITOR: editor });
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: 'imagestreamtag.image.openshift.io/web:stable edited\n' });
      expect(await ok(['get', 'istag', 'web:stable', '-o', 'jsonpath={.tag.from.name} {.image.metadata.name}'])).toBe(`3.2 ${digest('e')}`);
      await ok(['label', 'is', 'web', 'team=web']);
      expect((await ws.run(['edit', 'is', 'web'], undefined, { KUBE_EDITOR: editor })).stdout).toBe('imagestream.image.openshift.io/web edited\n');
      expect((await stream('web')).metadata.labels).toEqual({ team: 'edited' });
    });

    it('label and annotate: --overwrite and --resource-version conflicts; an istag takes annotations on spec tags only, no labels', async () => {
      expect((await kubectl(['label', 'is', 'web', 'team=other'])).stderr).toBe("error: 'team' already has a value (edited), and --overwrite is false\n");
      const stale = await kubectl(['label', 'is', 'web', 'team=other', '--overwrite', '--resource-version=1']);
      expect(stale.stderr).toContain('Error from server (Conflict): Operation cannot be fulfilled on imagestreams.image.openshift.io "web": the object has been modified');
      expect(await ok(['annotate', 'istag', 'web:stable', 'note=hi'])).toBe('imagestreamtag.image.openshift.io/web:stable annotated\n');
      expect((await stream('web')).spec.tags.find((t: any) => t.name === 'stable').annotations).toEqual({ note: 'hi' });
      expect((await kubectl(['annotate', 'istag', 'web:3.1', 'note=hi'])).stderr).toBe(
        'Error from server (BadRequest): imagestreamtag 3.1 is not a spec tag in imagestream sweep/web, cannot be updated\n',
      );
      expect((await kubectl(['label', 'istag', 'web:stable', 'x=y'])).stderr).toContain('may not update fields other than metadata.annotations');
      const staleTag = await kubectl(['annotate', 'istag', 'web:stable', 'note=ho', '--overwrite', '--resource-version=1']);
      expect(staleTag.stderr).toContain('Error from server (Conflict): Operation cannot be fulfilled on imagestreamtags.image.openshift.io "web:stable"');
    });

    it('label and annotate with invalid keys: 422 worded as apimachinery words it (annotation keys checked in lower case, reported as written)', async () => {
      const subdomain =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
      const namePart =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
      const annotated = await kubectl(['annotate', 'is', 'web', 'Bad_Key/x=1']);
      expect([annotated.code, annotated.stderr]).toEqual([1, `The ImageStream "web" is invalid: metadata.annotations: Invalid value: "Bad_Key/x": prefix part ${subdomain}\n`]);
      const labeled = await kubectl(['label', 'is', 'web', 'bad key=1']);
      expect([labeled.code, labeled.stderr]).toEqual([1, `The ImageStream "web" is invalid: metadata.labels: Invalid value: "bad key": ${namePart}\n`]);
      // Label values kubectl checks itself; over HTTP a long, badly formed one gets both of upstream's messages.
      const value = `-${'v'.repeat(63)}`;
      const res = await call('PATCH', `${api.base}/namespaces/sweep/imagestreams/web`, { metadata: { labels: { ok: value } } }, 'application/merge-patch+json');
      expect(res.status).toBe(422);
      expect(res.body.details.causes.map((c: { message: string }) => c.message)).toEqual([
        `Invalid value: "${value}": must be no more than 63 characters`,
        `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ]);
    });

    it('get -w of istag is 405 MethodNotAllowed (no watch on the tag views); wait --for=jsonpath works on streams', async () => {
      const watched = await kubectl(['get', 'istag', '-w']);
      expect(watched.code).toBe(1);
      expect(watched.stderr).toContain('Error from server (MethodNotAllowed): watch is not supported on resources of kind "imagestreamtags.image.openshift.io"');
      expect(await ok(['wait', '--for=jsonpath={.status.tags[0].tag}=3.1', 'is/web', '--timeout=10s'])).toBe('imagestream.image.openshift.io/web condition met\n');
    });

    it('replace -f and replace --force of a stream; delete --cascade/--wait/--grace-period of tags and streams', async () => {
      const yaml = await ok(['get', 'is', 'web', '-o', 'yaml']);
      expect(await ok(['replace', '-f', ws.write('web.yaml', yaml)])).toBe('imagestream.image.openshift.io/web replaced\n');
      const uid = (await stream('web')).metadata.uid;
      expect(await ok(['replace', '--force', '-f', ws.write('web.yaml', yaml)])).toBe('imagestream.image.openshift.io "web" deleted\nimagestream.image.openshift.io/web replaced\n');
      const recreated = await stream('web');
      expect(recreated.metadata.uid).not.toBe(uid);
      expect(recreated.spec.tags.map((t: any) => t.name)).toEqual(['stable']);
      expect(await ok(['delete', 'istag', 'web:stable', '--cascade=foreground', '--wait'])).toBe('imagestreamtag.image.openshift.io "web:stable" deleted\n');
      expect((await kubectl(['get', 'istag', 'web:stable'])).stderr).toBe('Error from server (NotFound): imagestreamtags.image.openshift.io "web:stable" not found\n');
      expect(await ok(['delete', 'is', 'web', '--grace-period=0', '--force'])).toBe('imagestream.image.openshift.io "web" force deleted\n');
    });
  });
});
