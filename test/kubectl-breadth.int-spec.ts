import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, type KubectlRun, type KubectlWorkspace, kubectlWorkspace } from './support/kubectl';

/**
 * kubectl 1.32 verbs and flags the other kubectl files leave out, as a user runs them on the image
 * kinds: lists of objects, key removal, output flags, the status subresource, wait, watch-only,
 * diff, discovery and the answers for kinds that cannot be listed.
 */
const suite = kubectlFound ? describe : describe.skip;
if (!kubectlFound) console.warn('test/kubectl-breadth.int-spec.ts skipped: `kubectl` is not on PATH');

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const streamYaml = (name: string, labels = '{}') => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: ${name}, labels: ${labels}}
`;

suite(kubectlFound ? 'kubectl breadth' : 'kubectl breadth (skipped: kubectl is not on PATH)', () => {
  let api: TestApi;
  let ws: KubectlWorkspace;
  const children: ChildProcess[] = [];

  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => ws.run(args, input);
  const ok = (args: string[], input?: string): Promise<string> => ws.ok(args, input);
  const lines = (out: string) => out.trim().split('\n');
  const streamsIn = async (namespace: string) =>
    (
      (await call('GET', `${api.base}/namespaces/${namespace}/imagestreams`)).body.items as {
        metadata: { name: string };
      }[]
    ).map((i) => i.metadata.name);

  /** Points `<stream>:<tag>` of `namespace` at a new Image, as a registry push does. */
  const push = async (namespace: string, stream: string, tag: string, image: string) => {
    expect([201, 409]).toContain(
      (await call('POST', `${api.base}/namespaces/${namespace}/imagestreams`, { metadata: { name: stream } }))
        .status,
    );
    const res = await call('POST', `${api.base}/namespaces/${namespace}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/${namespace}/${stream}@${image}` },
    });
    expect(res.status).toBe(201);
  };

  /** Starts kubectl in the background; `out`/`err` grow as it prints. */
  const background = (args: string[]) => {
    const child = spawn('kubectl', [`--cache-dir=${join(ws.dir, 'cache')}`, ...args], {
      env: { ...process.env, KUBECONFIG: join(ws.dir, 'kubeconfig'), HOME: ws.dir },
    });
    children.push(child);
    const run = { out: '', err: '', code: undefined as number | null | undefined };
    child.stdout.on('data', (d: Buffer) => (run.out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (run.err += d.toString()));
    const done = new Promise<void>((resolve) => child.on('close', (code) => ((run.code = code), resolve())));
    return { run, done };
  };
  const waitFor = async (pred: () => boolean, what: string, output: () => string) => {
    const deadline = Date.now() + 15000;
    while (!pred()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; output so far:\n${output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    api = await startTestApi();
    ws = kubectlWorkspace(api.url, 'breadth');
    await push('breadth', 'web', '1.0', digest('a'));
    await push('breadth', 'web', '2.0', digest('b'));
    await ok(['label', 'is', 'web', 'team=web']);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await api?.close();
    ws?.remove();
  });

  it('create -f of a `kind: List`; delete -l and delete --all (a server dry run of either keeps everything)', async () => {
    const list = `apiVersion: v1
kind: List
items:
- {apiVersion: image.openshift.io/v1, kind: ImageStream, metadata: {name: l1, labels: {set: one}}}
- {apiVersion: image.openshift.io/v1, kind: ImageStream, metadata: {name: l2, labels: {set: one}}}
- {apiVersion: image.openshift.io/v1, kind: ImageStream, metadata: {name: l3, labels: {set: two}}}
`;
    expect(await ok(['create', '-f', ws.write('list.yaml', list), '-n', 'bulk'])).toBe(
      ['l1', 'l2', 'l3'].map((n) => `imagestream.image.openshift.io/${n} created\n`).join(''),
    );
    expect(await ok(['delete', 'is', '-l', 'set=one', '-n', 'bulk', '--dry-run=server'])).toBe(
      'imagestream.image.openshift.io "l1" deleted (server dry run)\nimagestream.image.openshift.io "l2" deleted (server dry run)\n',
    );
    expect(await streamsIn('bulk')).toEqual(['l1', 'l2', 'l3']);
    expect(await ok(['delete', 'is', '-l', 'set=one', '-n', 'bulk'])).toBe(
      'imagestream.image.openshift.io "l1" deleted\nimagestream.image.openshift.io "l2" deleted\n',
    );
    expect(await streamsIn('bulk')).toEqual(['l3']);
    expect(await ok(['delete', 'is', '--all', '-n', 'bulk'])).toBe(
      'imagestream.image.openshift.io "l3" deleted\n',
    );
    expect((await kubectl(['get', 'is', '-n', 'bulk'])).stderr).toBe(
      'No resources found in bulk namespace.\n',
    );
    expect(await ok(['create', '-f', ws.write('list.yaml', list), '-n', 'bulk', '--dry-run=server'])).toBe(
      ['l1', 'l2', 'l3']
        .map((n) => `imagestream.image.openshift.io/${n} created (server dry run)\n`)
        .join(''),
    );
    expect(await streamsIn('bulk')).toEqual([]);
  });

  it('label and annotate remove keys with `key-` on streams, on an istag (its spec tag annotations) and on images; label --list', async () => {
    expect(await ok(['annotate', 'is', 'web', 'note=x', 'other=y'])).toBe(
      'imagestream.image.openshift.io/web annotated\n',
    );
    expect(await ok(['annotate', 'is', 'web', 'note-'])).toBe(
      'imagestream.image.openshift.io/web annotated\n',
    );
    expect(await ok(['label', 'is', 'web', 'tmp=1'])).toBe('imagestream.image.openshift.io/web labeled\n');
    expect(await ok(['label', 'is', 'web', 'tmp-'])).toBe('imagestream.image.openshift.io/web unlabeled\n');
    const web = (await call('GET', `${api.base}/namespaces/breadth/imagestreams/web`)).body;
    expect([web.metadata.labels, web.metadata.annotations]).toEqual([{ team: 'web' }, { other: 'y' }]);
    expect(await ok(['label', 'is', 'web', '--list'])).toBe('team=web\n');

    // An istag's annotations are its spec tag's: `1.0` becomes a spec tag following itself.
    await ok([
      'patch',
      'is',
      'web',
      '--type',
      'merge',
      '-p',
      '{"spec":{"tags":[{"name":"stable","from":{"kind":"ImageStreamTag","name":"2.0"}}]}}',
    ]);
    expect(await ok(['annotate', 'istag', 'web:stable', 'a=1', 'b=2'])).toBe(
      'imagestreamtag.image.openshift.io/web:stable annotated\n',
    );
    expect(await ok(['annotate', 'istag', 'web:stable', 'a-'])).toBe(
      'imagestreamtag.image.openshift.io/web:stable annotated\n',
    );
    const tags = (await call('GET', `${api.base}/namespaces/breadth/imagestreams/web`)).body.spec.tags;
    expect(tags.find((t: { name: string }) => t.name === 'stable').annotations).toEqual({ b: '2' });

    const image = digest('a');
    expect(await ok(['label', 'image', image, 'scan=passed', 'arch=amd64'])).toBe(
      `image.image.openshift.io/${image} labeled\n`,
    );
    expect(await ok(['label', 'image', image, 'scan-'])).toBe(
      `image.image.openshift.io/${image} unlabeled\n`,
    );
    expect((await call('GET', `${api.base}/images/${image}`)).body.metadata.labels).toEqual({
      arch: 'amd64',
    });
  });

  it('output flags: -o custom-columns, --sort-by, --show-labels, -o name across kinds, istag -o wide adds IMAGE NAME', async () => {
    await push('outputs', 'b', 'v1', digest('c'));
    await push('outputs', 'a', 'v1', digest('d'));
    await push('outputs', 'a', 'v2', digest('e'));
    await ok(['label', 'is', 'b', 'tier=front', '-n', 'outputs']);
    expect(
      await ok([
        'get',
        'is',
        '-n',
        'outputs',
        '-o',
        'custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier,TAGS:.status.tags[*].tag',
      ]),
    ).toBe('NAME   TIER     TAGS\na      <none>   v1,v2\nb      front    v1\n');
    // Sorted by a field of the objects the Table rows carry (b's first image sorts first).
    expect(
      await ok(['get', 'is', '-n', 'outputs', '--sort-by={.status.tags[0].items[0].image}', '-o', 'name']),
    ).toBe('imagestream.image.openshift.io/b\nimagestream.image.openshift.io/a\n');
    expect(
      lines(
        await ok(['get', 'istag', '-n', 'outputs', '--sort-by=.image.dockerImageReference', '--no-headers']),
      ).map((l) => l.split(/\s+/)[0]),
    ).toEqual(['a:v1', 'a:v2', 'b:v1']);
    const labelled = lines(await ok(['get', 'is', '-n', 'outputs', '--show-labels']));
    expect(labelled[0]).toMatch(/^NAME\s+IMAGE REPOSITORY\s+TAGS\s+UPDATED\s+LABELS$/);
    expect(labelled.slice(1).map((l) => [l.split(/\s+/)[0], l.split(/\s+/).at(-1)])).toEqual([
      ['a', '<none>'],
      ['b', 'tier=front'],
    ]);
    expect(await ok(['get', 'is,istag,itag', '-n', 'outputs', '-o', 'name'])).toBe(
      [
        'imagestream.image.openshift.io/a',
        'imagestream.image.openshift.io/b',
        'imagestreamtag.image.openshift.io/a:v1',
        'imagestreamtag.image.openshift.io/a:v2',
        'imagestreamtag.image.openshift.io/b:v1',
        'imagetag.image.openshift.io/a:v1',
        'imagetag.image.openshift.io/a:v2',
        'imagetag.image.openshift.io/b:v1',
        '',
      ].join('\n'),
    );
    const wide = lines(await ok(['get', 'istag', 'b:v1', '-n', 'outputs', '-o', 'wide']));
    expect(wide[0]).toMatch(/^NAME\s+IMAGE REFERENCE\s+UPDATED\s+IMAGE NAME$/);
    expect(wide[1]).toMatch(
      new RegExp(`^b:v1\\s+quay\\.io/outputs/b@${digest('c')}\\s+\\S.* ago\\s+${digest('c')}$`),
    );
    expect(lines(await ok(['get', 'istag', 'b:v1', '-n', 'outputs']))[0]).toMatch(
      /^NAME\s+IMAGE REFERENCE\s+UPDATED$/,
    );
  });

  it('get --subresource=status|layers prints kubectl`s NAME/AGE (openshift-apiserver serves no Table there: 406 to a Table-only Accept); edit --subresource=status writes labels', async () => {
    for (const subresource of ['status', 'layers']) {
      const printed = lines(await ok(['get', 'is', 'web', `--subresource=${subresource}`]));
      expect([subresource, printed[0]]).toEqual([subresource, expect.stringMatching(/^NAME\s+AGE$/)]);
      expect([subresource, printed[1]]).toEqual([subresource, expect.stringMatching(/^web\s+\d+[smhd]/)]);
    }
    const ns = await ok(['get', 'is', 'web', '-o', 'jsonpath={.metadata.namespace}']);
    const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    for (const subresource of ['status', 'layers', 'secrets']) {
      const path = `${api.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams/web/${subresource}`;
      const tableOnly = await fetch(path, { headers: { accept: TABLE } });
      expect([subresource, tableOnly.status, ((await tableOnly.json()) as { reason: string }).reason]).toEqual([subresource, 406, 'NotAcceptable']);
      const fallback = await fetch(path, { headers: { accept: `${TABLE},application/json` } });
      expect([subresource, fallback.status, ((await fallback.json()) as { kind: string }).kind]).toEqual([subresource, 200, subresource === 'status' ? 'ImageStream' : subresource === 'layers' ? 'ImageStreamLayers' : 'SecretList']);
    }
    const streamTable = await fetch(`${api.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams/web`, { headers: { accept: TABLE } });
    expect(((await streamTable.json()) as { kind: string }).kind).toBe('Table');
    expect(
      JSON.parse(await ok(['get', 'is', 'web', '--subresource=status', '-o', 'json'])).status.tags.map(
        (t: { tag: string }) => t.tag,
      ),
    ).toEqual(['1.0', '2.0', 'stable']);
    const editor = ws.write(
      'status-editor.sh',
      '#!/bin/sh\nsed -i \'s/^    team: web$/    team: status/\' "$1"\n',
    );
    chmodSync(editor, 0o755);
    const run = await ws.run(['edit', 'is', 'web', '--subresource=status', '-v=6'], undefined, {
      KUBE_EDITOR: editor,
    });
    expect({ code: run.code, stdout: run.stdout }).toEqual({
      code: 0,
      stdout: 'imagestream.image.openshift.io/web edited\n',
    });
    expect(run.stderr).toMatch(/PATCH http:\S+\/namespaces\/breadth\/imagestreams\/web\/status\?\S+ 200 OK/);
    expect(
      (await call('GET', `${api.base}/namespaces/breadth/imagestreams/web`)).body.metadata.labels,
    ).toEqual({ team: 'status' });
    await ok(['label', 'is', 'web', 'team=web', '--overwrite']);
  });

  it('wait --for=create, --for=delete, and --for=jsonpath over --all and -l', async () => {
    const created = background(['wait', '--for=create', 'is/later', '-n', 'waits', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 300));
    await ok(['create', '-f', ws.write('later.yaml', streamYaml('later', '{ready: "yes"}')), '-n', 'waits']);
    await created.done;
    expect([created.run.code, created.run.out]).toEqual([
      0,
      'imagestream.image.openshift.io/later condition met\n',
    ]);

    await ok(['create', '-f', ws.write('other.yaml', streamYaml('other', '{ready: "yes"}')), '-n', 'waits']);
    expect(
      await ok([
        'wait',
        '--for=jsonpath={.metadata.labels.ready}=yes',
        'is',
        '--all',
        '-n',
        'waits',
        '--timeout=10s',
      ]),
    ).toBe(
      'imagestream.image.openshift.io/later condition met\nimagestream.image.openshift.io/other condition met\n',
    );
    const unmet = await kubectl([
      'wait',
      '--for=jsonpath={.metadata.labels.ready}=no',
      'is',
      '-l',
      'ready=yes',
      '-n',
      'waits',
      '--timeout=2s',
    ]);
    expect(unmet.code).toBe(1);
    expect(lines(unmet.stderr).map((l) => l.replace(/^error: /, ''))).toEqual(
      ['later', 'other'].map((n) => `timed out waiting for the condition on imagestreams/${n}`),
    );

    const deleted = background(['wait', '--for=delete', 'is/later', '-n', 'waits', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 300));
    await ok(['delete', 'is', 'later', '-n', 'waits', '--wait=false']);
    await deleted.done;
    expect(deleted.run.code).toBe(0);
    expect(await ok(['wait', '--for=delete', 'is/never-there', '-n', 'waits', '--timeout=5s'])).toBe('');
  });

  it('get --watch-only prints the changes made after it started and not the current objects', async () => {
    await ok(['create', '-f', ws.write('quiet.yaml', streamYaml('quiet')), '-n', 'watchonly']);
    const watch = background([
      'get',
      'is',
      '-n',
      'watchonly',
      '--watch-only',
      '-o',
      'custom-columns=NAME:.metadata.name,V:.metadata.labels.v',
      '--no-headers',
      '-v=6',
    ]);
    await waitFor(
      () => /GET http:\S+\/namespaces\/watchonly\/imagestreams\?\S*watch=true\S* 200 OK/.test(watch.run.err),
      'the watch to open',
      () => watch.run.err,
    );
    await ok(['label', 'is', 'quiet', 'v=1', '-n', 'watchonly']);
    await ok(['create', '-f', ws.write('loud.yaml', streamYaml('loud', '{v: "2"}')), '-n', 'watchonly']);
    await waitFor(
      () => watch.run.out.includes('loud'),
      'the created stream',
      () => watch.run.out,
    );
    expect(lines(watch.run.out).map((l) => l.split(/\s+/))).toEqual([
      ['quiet', '1'],
      ['loud', '2'],
    ]);
  });

  it('diff -f of unchanged objects exits 0 and prints nothing (a server dry run changes nothing visible): stream, image, LimitRange', async () => {
    const stream = ws.write(
      'diff-is.yaml',
      `${streamYaml('diffed', '{team: web}')}spec:\n  tags:\n  - name: latest\n    from: {kind: DockerImage, name: "quay.io/d/e:1"}\n    reference: true\n`,
    );
    const image = ws.write(
      'diff-image.yaml',
      `apiVersion: image.openshift.io/v1\nkind: Image\nmetadata: {name: "${digest('f')}", labels: {a: b}}\ndockerImageReference: quay.io/d/e@${digest('f')}\n`,
    );
    const limits = ws.write(
      'diff-lr.yaml',
      'apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr}\nspec:\n  limits:\n  - type: openshift.io/Image\n    max: {storage: 1Gi}\n',
    );
    // The three objects are independent: their apply-and-diff sequences run at once.
    await Promise.all([stream, image, limits].map(async (file) => {
      await ok(['apply', '-f', file]);
      const client = await kubectl(['diff', '-f', file]);
      expect({ file, code: client.code, out: client.stdout, err: client.stderr }).toEqual({
        file,
        code: 0,
        out: '',
        err: '',
      });
      await ok(['apply', '--server-side', '--force-conflicts', '-f', file]);
      const server = await kubectl(['diff', '--server-side', '-f', file]);
      expect({ file, code: server.code, out: server.stdout, err: server.stderr }).toEqual({
        file,
        code: 0,
        out: '',
        err: '',
      });
    }));
    // A change shows up, with exit code 1.
    const changed = await kubectl([
      'diff',
      '-f',
      ws.write('diff-is2.yaml', streamYaml('diffed', '{team: ops}')),
    ]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^- {4}team: web$/m);
    expect(changed.stdout).toMatch(/^\+ {4}team: ops$/m);
  });

  it('discovery: api-versions, api-resources -o wide of the image group; kinds without list or get answer as upstream routes do', async () => {
    expect(lines(await ok(['api-versions']))).toEqual(
      expect.arrayContaining(['image.openshift.io/v1', 'triggers.imagestreamd.io/v1', 'v1']),
    );
    const wide = lines(
      await ok(['api-resources', '-o', 'wide', '--api-group=image.openshift.io', '--no-headers']),
    ).map((l) => l.split(/\s+/));
    const verbs = Object.fromEntries(
      wide.map((cells) => [cells[0], cells.find((c) => /^(create|get)/.test(c) && !c.includes('/'))]),
    );
    expect(verbs).toEqual({
      images: 'create,delete,deletecollection,get,list,patch,update,watch',
      imagesignatures: 'create,delete',
      imagestreamimages: 'get',
      imagestreamimports: 'create',
      imagestreammappings: 'create',
      imagestreams: 'create,delete,deletecollection,get,list,patch,update,watch',
      imagestreamtags: 'create,delete,get,list,patch,update',
      imagetags: 'create,delete,get,list,patch,update',
    });
    // Only get is routed for isimage, only create and delete for signatures (no collection GET).
    expect((await kubectl(['get', 'isimage'])).stderr).toBe(
      'Error from server (NotFound): Unable to list "image.openshift.io/v1, Resource=imagestreamimages": the server could not find the requested resource\n',
    );
    expect((await kubectl(['get', 'imagesignatures'])).stderr).toBe(
      'Error from server (MethodNotAllowed): the server does not allow this method on the requested resource\n',
    );
    expect(
      (
        await kubectl([
          'get',
          '-f',
          ws.write(
            'mapping.yaml',
            'apiVersion: image.openshift.io/v1\nkind: ImageStreamMapping\nmetadata: {name: web}\ntag: x\n',
          ),
        ])
      ).stderr,
    ).toBe('Error from server (NotFound): the server could not find the requested resource\n');
    // Refused requests change nothing: one kubectl process each, all at once.
    await Promise.all(
      ([
        [['get', 'istag', 'web'], 'ImageStreamTags must be retrieved with <name>:<tag>'],
        [['delete', 'itag', 'web'], 'ImageTags must be retrieved with <name>:<tag>'],
        [['get', 'isimage', 'web'], 'ImageStreamImages must be retrieved with <name>@<id>'],
      ] as const).map(async ([args, message]) => {
        expect((await kubectl([...args])).stderr).toBe(`Error from server (BadRequest): ${message}\n`);
      }),
    );
    expect(
      await ok([
        'get',
        'isimage',
        `web@${digest('a').slice(7, 19)}`,
        '-o',
        'jsonpath={.image.metadata.name}',
      ]),
    ).toBe(digest('a'));
  });

  it('kubectl scale deploy/sts writes spec.replicas through the scale subresource (autoscaling/v1 Scale), as kube-apiserver serves it', async () => {
    await ok(['create', 'deployment', 'web', '--image=quay.io/breadth/web:1.0', '-n', 'scaling']);
    const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}, matchExpressions: [{key: tier, operator: In, values: [b, a]}]}
  template:
    metadata: {labels: {app: db, tier: a}}
    spec: {containers: [{name: db, image: quay.io/breadth/db:1}]}
`;
    await ok(['create', '-f', ws.write('sts.yaml', sts), '-n', 'scaling']);
    const deployments = `${api.url}/apis/apps/v1/namespaces/scaling/deployments`;
    const before = (await call('GET', `${deployments}/web`)).body;

    expect(await ok(['scale', 'deploy', 'web', '--replicas=3', '-n', 'scaling'])).toBe(
      'deployment.apps/web scaled\n',
    );
    const scaled = (await call('GET', `${deployments}/web`)).body;
    expect([scaled.spec.replicas, scaled.metadata.generation]).toEqual([3, before.metadata.generation + 1]);
    // Entries sort by time (seconds) then manager name, so a scale within the creating second is not last.
    const scaleEntries = scaled.metadata.managedFields.filter((e: { subresource?: string }) => e.subresource === 'scale');
    expect(scaleEntries).toHaveLength(1);
    expect(scaleEntries[0]).toMatchObject({
      manager: 'kubectl',
      operation: 'Update',
      subresource: 'scale',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    expect(
      JSON.parse(await ok(['get', 'deploy', 'web', '--subresource=scale', '-n', 'scaling', '-o', 'json'])),
    ).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: 'web',
        namespace: 'scaling',
        uid: scaled.metadata.uid,
        resourceVersion: scaled.metadata.resourceVersion,
        creationTimestamp: scaled.metadata.creationTimestamp,
      },
      spec: { replicas: 3 },
      status: { replicas: 0, selector: 'app=web' },
    });
    // Printed as kube-apiserver's ScaleREST prints it (the workload's table convertor has a Scale handler).
    const table = lines(await ok(['get', 'deploy', 'web', '--subresource=scale', '-n', 'scaling']));
    expect(table.map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['NAME', 'DESIRED', 'AVAILABLE'],
      ['web', '3', '0'],
    ]);
    // --current-replicas and --resource-version are checked against the Scale read first; the latter then PUTs it.
    const wrong = await kubectl([
      'scale',
      'deploy',
      'web',
      '--replicas=1',
      '--current-replicas=2',
      '-n',
      'scaling',
    ]);
    expect([wrong.code, wrong.stderr]).toEqual([1, 'error: Expected replicas to be 2, was 3\n']);
    const put = await kubectl([
      'scale',
      'deploy',
      'web',
      '--replicas=2',
      `--resource-version=${scaled.metadata.resourceVersion}`,
      '-n',
      'scaling',
      '-v=6',
    ]);
    expect(put.stderr).toMatch(/PUT http:\S+\/deployments\/web\/scale 200 OK/);
    expect(await ok(['scale', 'deploy', 'web', '--replicas=0', '--dry-run=server', '-n', 'scaling'])).toBe(
      'deployment.apps/web scaled (server dry run)\n',
    );
    expect((await call('GET', `${deployments}/web`)).body.spec.replicas).toBe(2);

    const dbScale = (jsonpath: string) => ok(['get', 'sts', 'db', '--subresource=scale', '-n', 'scaling', '-o', `jsonpath=${jsonpath}`]);
    // A StatefulSet created without spec.replicas has apps/v1's default, 1.
    expect(await dbScale('{.spec.replicas}')).toBe('1');
    expect(await ok(['scale', 'sts', 'db', '--replicas=2', '--current-replicas=1', '-n', 'scaling'])).toBe(
      'statefulset.apps/db scaled\n',
    );
    expect(await dbScale('{.spec.replicas} {.status.selector}')).toBe('2 app=db,tier in (a,b)');

    // What kube-apiserver answers: a negative count is the Scale's 422, another uid a 409, a stale version the workload's 409.
    const scaleUrl = `${api.url}/apis/apps/v1/namespaces/scaling/statefulsets/db/scale`;
    const putScale = (metadata: Record<string, string>, replicas: number) =>
      call('PUT', scaleUrl, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'db', ...metadata }, spec: { replicas } });
    const negative = await putScale({}, -1);
    expect([negative.status, negative.body.message]).toEqual([
      422,
      'Scale.autoscaling "db" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ]);
    const uid = await putScale({ uid: 'other' }, 1);
    expect([uid.status, uid.body.message]).toEqual([
      409,
      expect.stringMatching(
        /^Operation cannot be fulfilled on statefulsets\/scale\.apps "db": Precondition failed: UID in precondition: other, UID in object meta: /,
      ),
    ]);
    const stale = await putScale({ resourceVersion: '1' }, 1);
    expect([stale.status, stale.body.message]).toEqual([
      409,
      'Operation cannot be fulfilled on statefulsets.apps "db": the object has been modified; please apply your changes to the latest version and try again',
    ]);
    expect((await call('DELETE', scaleUrl)).status).toBe(405);
    expect((await call('GET', `${api.url}/apis/apps/v1/namespaces/scaling/daemonsets/x/scale`)).status).toBe(
      404,
    );

    const apps = (await call('GET', `${api.url}/apis/apps/v1`)).body.resources;
    expect(apps.filter((r: { name: string }) => r.name.endsWith('/scale'))).toEqual(
      ['deployments/scale', 'statefulsets/scale'].map((name) => ({
        name,
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      })),
    );
  });

  it('cluster-info, describe sts/ds and get pods/svc succeed: pods and services are served always empty (nothing runs here), selectors checked as upstream', async () => {
    expect(await ok(['cluster-info'])).toContain(`Kubernetes control plane is running at ${api.url}`);
    const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: core-empty}
spec:
  selector: {matchLabels: {app: db}}
  serviceName: db
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: example.com/db:1}]}
`;
    const ds = sts.replace('StatefulSet', 'DaemonSet').replace('name: db,', 'name: agent,').replace('  serviceName: db\n', '');
    await ok(['create', '-f', '-'], sts);
    await ok(['create', '-f', '-'], ds);
    // apps/v1 defaults spec.replicas (kubectl's StatefulSet describer dereferences it).
    expect((await call('GET', `${api.url}/apis/apps/v1/namespaces/core-empty/statefulsets/db`)).body.spec.replicas).toBe(1);
    const described = await ok(['describe', 'sts', 'db', '-n', 'core-empty']);
    expect(described).toContain('Replicas:           1 desired | 0 total');
    expect(described).toContain('Pods Status:        0 Running / 0 Waiting / 0 Succeeded / 0 Failed');
    expect(await ok(['describe', 'ds', 'agent', '-n', 'core-empty'])).toContain('Number of Nodes Scheduled with Up-to-date Pods: 0');
    // Reads only: one kubectl process each, all at once.
    const [pods, services, podSelector, unknown, nothing] = await Promise.all([
      kubectl(['get', 'pods', '-n', 'core-empty']),
      kubectl(['get', 'services', '-n', 'core-empty']),
      kubectl(['get', 'pods', '-A', '--field-selector=spec.nodeName=n1,status.phase=Running']),
      kubectl(['get', 'pods', '--field-selector=spec.bogus=1']),
      kubectl(['get', 'pod', 'nothing', '-n', 'core-empty']),
    ]);
    for (const [kind, listed] of [['pods', pods], ['services', services]] as const) {
      expect([kind, listed.code, listed.stdout, listed.stderr]).toEqual([kind, 0, '', 'No resources found in core-empty namespace.\n']);
    }
    expect(podSelector.code).toBe(0);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('field label not supported: spec.bogus')]);
    expect(nothing.stderr).toBe('Error from server (NotFound): pods "nothing" not found\n');
  });

  it("apply --prune -l with kubectl's default prune list deletes what left the file (the list's kinds are in discovery); --prune-allowlist prunes image streams", async () => {
    const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, labels: {app: pruned}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: example.com/${name}:1}]}
`;
    const stream = (name: string) => streamYaml(name, '{app: pruned}');
    const set = (...docs: string[]) => docs.join('---\n');
    expect(await ok(['apply', '-n', 'pruning', '-f', '-'], set(deployment('front'), deployment('back'), stream('base'), stream('tools')))).toBe(
      'deployment.apps/front created\ndeployment.apps/back created\nimagestream.image.openshift.io/base created\nimagestream.image.openshift.io/tools created\n',
    );
    // Without --prune-allowlist kubectl maps every kind of its default list first (core ConfigMap,
    // Endpoints, PVC, PV, RC, apps ReplicaSet, batch Job, networking Ingress among them), lists each
    // by the selector, and deletes what carries its last-applied annotation but left the file.
    const pruned = await kubectl(['apply', '-n', 'pruning', '--prune', '-l', 'app=pruned', '-f', '-'], set(deployment('front'), stream('base')));
    expect([pruned.code, pruned.stderr]).toEqual([0, expect.not.stringContaining('error')]);
    expect(pruned.stdout).toBe('deployment.apps/front unchanged\nimagestream.image.openshift.io/base unchanged\ndeployment.apps/back pruned\n');
    expect((await call('GET', `${api.url}/apis/apps/v1/namespaces/pruning/deployments/back`)).status).toBe(404);
    // Image streams are not on kubectl's default list: only an allowlist naming them prunes them.
    expect(await streamsIn('pruning')).toEqual(['base', 'tools']);
    expect(
      await ok(['apply', '-n', 'pruning', '--prune', '-l', 'app=pruned', '--prune-allowlist=image.openshift.io/v1/ImageStream', '-f', '-'], set(deployment('front'), stream('base'))),
    ).toBe('deployment.apps/front unchanged\nimagestream.image.openshift.io/base unchanged\nimagestream.image.openshift.io/tools pruned\n');
    expect(await streamsIn('pruning')).toEqual(['base']);
    // ApplySet pruning (alpha, KUBECTL_APPLYSET=true): its parent is a Secret, stored here, that
    // kubectl server-side applies with the set's id and kinds; members are found by that label.
    const applySet = (...docs: string[]) => ws.run(['apply', '-n', 'appset', '--prune', '--applyset=web-set', '-f', '-'], set(...docs), { KUBECTL_APPLYSET: 'true' });
    expect((await applySet(stream('one'), stream('two'))).stdout).toBe('imagestream.image.openshift.io/one created\nimagestream.image.openshift.io/two created\n');
    expect((await applySet(stream('one'))).stdout).toBe('imagestream.image.openshift.io/one unchanged\nimagestream.image.openshift.io/two pruned\n');
    expect(await streamsIn('appset')).toEqual(['one']);
    const parent = (await call('GET', `${api.url}/api/v1/namespaces/appset/secrets/web-set`)).body;
    expect(parent.metadata.annotations['applyset.kubernetes.io/contains-group-kinds']).toBe('ImageStream.image.openshift.io');
    expect(parent.metadata.labels['applyset.kubernetes.io/id']).toMatch(/^applyset-.+-v1$/);

    // The list's kinds answer as on a cluster that has none of them, selectors checked as upstream.
    // Reads only: one kubectl process each, all at once (one after another they were most of this test's time).
    const kinds = ['configmaps', 'endpoints', 'pvc', 'rc', 'rs', 'jobs', 'ingresses'];
    const [listedKinds, pv, all, jobsSucceeded, jobsActive, rcReplicas, cmData, cmSettings] = await Promise.all([
      Promise.all(kinds.map((kind) => kubectl(['get', kind, '-n', 'pruning']))),
      kubectl(['get', 'pv']),
      ok(['get', 'all', '-n', 'pruning', '-o', 'name']),
      kubectl(['get', 'jobs', '--field-selector=status.successful=1']),
      kubectl(['get', 'jobs', '--field-selector=status.active=1']),
      kubectl(['get', 'rc', '--field-selector=status.replicas=0']),
      kubectl(['get', 'cm', '--field-selector=data.x=1']),
      kubectl(['get', 'cm', 'settings', '-n', 'pruning']),
    ]);
    kinds.forEach((kind, i) => {
      const listed = listedKinds[i]!;
      expect([kind, listed.code, listed.stdout, listed.stderr]).toEqual([kind, 0, '', 'No resources found in pruning namespace.\n']);
    });
    expect(pv.stderr).toBe('No resources found\n');
    // `all` now takes in replicationcontrollers, replicasets and jobs too, as upstream.
    expect(all).toBe('imagestream.image.openshift.io/base\ndeployment.apps/front\n');
    expect(jobsSucceeded.code).toBe(0);
    expect(jobsActive.stderr).toBe(
      'Error from server (BadRequest): Unable to find "batch/v1, Resource=jobs" that match label selector "", field selector "status.active=1": field label "status.active" not supported for Job\n',
    );
    expect(rcReplicas.code).toBe(0);
    expect(cmData.stderr).toContain('"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(cmSettings.stderr).toBe('Error from server (NotFound): configmaps "settings" not found\n');
    const created = await call('POST', `${api.url}/api/v1/namespaces/pruning/configmaps`, { metadata: { name: 'settings' }, data: { a: '1' } });
    expect([created.status, created.body.reason]).toEqual([405, 'MethodNotAllowed']);
    // PersistentVolumes are cluster-scoped: their item path is /api/v1/persistentvolumes/{name}, none under a namespace.
    expect((await call('GET', `${api.url}/api/v1/persistentvolumes/disk`)).body).toMatchObject({ code: 404, reason: 'NotFound', message: 'persistentvolumes "disk" not found' });
    expect((await call('GET', `${api.url}/api/v1/namespaces/pruning/persistentvolumes`)).status).toBe(404);
    expect((await call('GET', `${api.url}/api/v1/secrets/x`)).status).toBe(404);
    const watched = await call('GET', `${api.url}/api/v1/persistentvolumes?watch=true&timeoutSeconds=1`);
    expect(watched.status).toBe(200);
  });

  it('get --chunk-size=1 -A pages streams across namespaces: the same list as unpaged, one request per stream', async () => {
    for (const namespace of ['chunk-a', 'chunk-b']) {
      for (const n of [1, 2, 3])
        expect(
          (
            await call('POST', `${api.base}/namespaces/${namespace}/imagestreams`, {
              metadata: { name: `c${n}` },
            })
          ).status,
        ).toBe(201);
    }
    const whole = await ok([
      'get',
      'is',
      '-A',
      '-o',
      'custom-columns=NS:.metadata.namespace,NAME:.metadata.name',
      '--no-headers',
    ]);
    const paged = await kubectl([
      'get',
      'is',
      '-A',
      '--chunk-size=1',
      '-o',
      'custom-columns=NS:.metadata.namespace,NAME:.metadata.name',
      '--no-headers',
      '-v=6',
    ]);
    expect(paged.stdout).toBe(whole);
    expect(
      lines(whole)
        .filter((l) => l.startsWith('chunk-'))
        .map((l) => l.split(/\s+/).join('/')),
    ).toEqual(['chunk-a/c1', 'chunk-a/c2', 'chunk-a/c3', 'chunk-b/c1', 'chunk-b/c2', 'chunk-b/c3']);
    expect(
      paged.stderr
        .split('\n')
        .filter((l) =>
          / GET http:\S+\/apis\/image\.openshift\.io\/v1\/imagestreams\?(\S+&)?limit=1\S* 200 OK/.test(l),
        ),
    ).toHaveLength(lines(whole).length);
  });
});
