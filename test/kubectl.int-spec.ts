import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { type KubectlRun, kubectlFound, runKubectl } from './support/kubectl';

/** kubectl 1.32 against a real server: discovery, Table printing, OpenAPI v3, apply, patch, watch. */
const suite = kubectlFound ? describe : describe.skip;
if (!kubectlFound) console.warn('test/kubectl.int-spec.ts skipped: `kubectl` is not on PATH');

const digest = (c: string) => `sha256:${c.repeat(64)}`;

type Run = KubectlRun;

suite(kubectlFound ? 'kubectl' : 'kubectl (skipped: kubectl is not on PATH)', () => {
  let api: TestApi;
  let dir: string;
  const children: ChildProcess[] = [];

  const kubectl = (args: string[], input?: string): Promise<Run> => runKubectl(dir, args, input);
  const ok = async (args: string[], input?: string): Promise<string> => {
    const run = await kubectl(args, input);
    if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  };
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** Table output as rows of whitespace-separated cells (header first). */
  const rows = (out: string): string[][] =>
    out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/));
  const map = async (stream: string, tag: string, image: string) => {
    const res = await call('POST', `${api.base}/namespaces/kc/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/kc/${stream}@${image}` },
    });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: 'registry.local:5000' });
    dir = mkdtempSync(join(tmpdir(), 'isd-kubectl-'));
    file(
      'kubeconfig',
      `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${api.url}
    insecure-skip-tls-verify: true
users:
- name: test
  user:
    token: dummy-token
contexts:
- name: test
  context: {cluster: test, user: test, namespace: kc}
current-context: test
`,
    );
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('create -f, then get as a table, -o yaml, -o json, -l and -A', async () => {
    const stream = file(
      'web.yaml',
      `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: web
  labels: {team: web}
spec:
  tags:
  - name: latest
    from: {kind: ImageStreamTag, name: "1.0"}
`,
    );
    expect(await ok(['create', '-f', stream])).toBe('imagestream.image.openshift.io/web created\n');
    await map('web', '1.0', digest('a'));
    const table = rows(await ok(['get', 'is']));
    expect(table[0]).toEqual(['NAME', 'IMAGE REPOSITORY', 'TAGS', 'UPDATED']);
    expect(table[1]!.slice(0, 3)).toEqual(['web', 'registry.local:5000/kc/web', expect.stringMatching(/^(1\.0,latest|latest,1\.0)$/)]);
    expect(table[1]![3]).toMatch(/ago$/);

    const yaml = loadYaml(await ok(['get', 'is', 'web', '-o', 'yaml'])) as any;
    expect(yaml).toMatchObject({ kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', metadata: { name: 'web', namespace: 'kc' } });
    expect(yaml.status.tags.map((t: any) => t.tag)).toEqual(['1.0', 'latest']);
    const json = JSON.parse(await ok(['get', 'is', '-o', 'json']));
    expect(json.items.map((i: any) => i.metadata.name)).toEqual(['web']);

    await call('POST', `${api.base}/namespaces/other/imagestreams`, { metadata: { name: 'elsewhere' }, spec: {} });
    expect(rows(await ok(['get', 'is', '-l', 'team=web'])).map((r) => r[0])).toEqual(['NAME', 'web']);
    expect((await kubectl(['get', 'is', '-l', 'team=none'])).stderr).toContain('No resources found in kc namespace.');
    const all = rows(await ok(['get', 'is', '-A']));
    expect(all[0]!.slice(0, 2)).toEqual(['NAMESPACE', 'NAME']);
    expect(all.slice(1).map((r) => `${r[0]}/${r[1]}`)).toEqual(['kc/web', 'other/elsewhere']);
  });

  it('prints the virtual kinds as oc does (istag, itag, isimage, images)', async () => {
    const istag = rows(await ok(['get', 'istag']));
    expect(istag[0]).toEqual(['NAME', 'IMAGE REFERENCE', 'UPDATED']);
    expect(istag.slice(1).map((r) => r.slice(0, 2))).toEqual([
      ['web:1.0', `quay.io/kc/web@${digest('a')}`],
      ['web:latest', `quay.io/kc/web@${digest('a')}`],
    ]);
    expect(rows(await ok(['get', 'istag', 'web:latest', '-o', 'wide']))[0]).toEqual(['NAME', 'IMAGE REFERENCE', 'UPDATED', 'IMAGE NAME']);
    const itag = rows(await ok(['get', 'itag']));
    expect(itag[0]).toEqual(['NAME', 'SPEC', 'STATUS', 'HISTORY', 'UPDATED']);
    expect(itag[2]!.slice(0, 4)).toEqual(['web:latest', 'Track', `image/${digest('a')}`, '1']);
    const isimage = rows(await ok(['get', 'isimage', `web@${digest('a').slice(7, 19)}`]));
    expect(isimage[0]).toEqual(['NAME', 'UPDATED']);
    const images = rows(await ok(['get', 'images']));
    expect(images[0]).toEqual(['NAME', 'IMAGE REFERENCE']);
    expect(images[1]).toEqual([digest('a'), `quay.io/kc/web@${digest('a')}`]);
    const istagYaml = loadYaml(await ok(['get', 'istag', 'web:latest', '-o', 'yaml'])) as any;
    expect(istagYaml).toMatchObject({ kind: 'ImageStreamTag', image: { metadata: { name: digest('a') } } });
  });

  it('apply -f twice: created, then unchanged; a changed file is a clean strategic-merge update', async () => {
    const text = (extraTag: string) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: applied
spec:
  lookupPolicy: {local: true}
  tags:
  - name: stable
    from: {kind: DockerImage, name: quay.io/kc/applied:1}
${extraTag}`;
    const path = file('applied.yaml', text(''));
    expect(await ok(['apply', '-f', path])).toBe('imagestream.image.openshift.io/applied created\n');
    const before = (await call('GET', `${api.base}/namespaces/kc/imagestreams/applied`)).body;
    expect(await ok(['apply', '-f', path])).toBe('imagestream.image.openshift.io/applied unchanged\n');
    const same = (await call('GET', `${api.base}/namespaces/kc/imagestreams/applied`)).body;
    expect(same.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    file('applied.yaml', text(`  - name: next\n    from: {kind: DockerImage, name: quay.io/kc/applied:2}\n`));
    expect(await ok(['apply', '-f', path])).toBe('imagestream.image.openshift.io/applied configured\n');
    const after = (await call('GET', `${api.base}/namespaces/kc/imagestreams/applied`)).body;
    expect(after.spec.tags.map((t: any) => t.name)).toEqual(['next', 'stable']);
    expect(after.spec.lookupPolicy).toEqual({ local: true });
    expect(after.metadata.generation).toBe(2);
  });

  it('apply --server-side over a client-side apply keeps every applied field (kubectl moves the old ownership first)', async () => {
    const path = file(
      'switched.yaml',
      `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: switched
  labels: {team: web}
spec:
  tags:
  - name: latest
    from: {kind: ImageStreamTag, name: "3.1"}
`,
    );
    expect(await ok(['apply', '-f', path])).toBe('imagestream.image.openshift.io/switched created\n');
    expect(await ok(['apply', '--server-side', '-f', path])).toBe('imagestream.image.openshift.io/switched serverside-applied\n');
    const after = (await call('GET', `${api.base}/namespaces/kc/imagestreams/switched`)).body;
    expect(after.metadata.labels).toEqual({ team: 'web' });
    expect(after.spec.tags.map((t: any) => t.name)).toEqual(['latest']);
    // Appliers are ordered by time, then name: the two entries swap when a second ticks between kubectl's two requests.
    expect(after.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`).sort()).toEqual(['kubectl-last-applied/Apply', 'kubectl/Apply']);
  });

  it('rejects unknown fields on create and apply (server-side strict field validation)', async () => {
    const path = file('typo.yaml', `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: typo}\nspec: {tagz: []}\n`);
    const run = await kubectl(['apply', '-f', path]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('unknown field "spec.tagz"');
    expect((await call('GET', `${api.base}/namespaces/kc/imagestreams/typo`)).status).toBe(404);
    const warned = await kubectl(['create', '-f', path, '--validate=warn']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('unknown field "spec.tagz"');
  });

  it('apply -f of a `kind: List` (what `get -o yaml` writes): validated client-side from the protobuf OpenAPI v2 document', async () => {
    const list = (field: string) => `apiVersion: v1
kind: List
items:
- apiVersion: image.openshift.io/v1
  kind: ImageStream
  metadata: {name: listed-a}
  spec: {${field}: {local: true}}
- apiVersion: image.openshift.io/v1
  kind: ImageStream
  metadata: {name: listed-b}
  spec: {}
- apiVersion: image.openshift.io/v1
  kind: ImageStream
  metadata: {name: listed-c}
`;
    const bad = await kubectl(['apply', '-f', file('bad-list.yaml', list('lookupPolicyz'))]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown field "lookupPolicyz" in com.github.openshift.api.image.v1.ImageStreamSpec');
    expect((await call('GET', `${api.base}/namespaces/kc/imagestreams/listed-b`)).status).toBe(404);
    const good = file('list.yaml', list('lookupPolicy'));
    // listed-c has no spec: optional in the schema, as upstream's (kubectl checks List items itself).
    expect(await ok(['apply', '-f', good])).toBe(['a', 'b', 'c'].map((n) => `imagestream.image.openshift.io/listed-${n} created\n`).join(''));
    expect(await ok(['apply', '-f', good])).toBe(['a', 'b', 'c'].map((n) => `imagestream.image.openshift.io/listed-${n} unchanged\n`).join(''));
    const exported = file('exported.yaml', await ok(['get', 'is', 'listed-a', 'listed-b', '-o', 'yaml']));
    expect(await ok(['apply', '-f', exported])).toContain('imagestream.image.openshift.io/listed-a');
  });

  it('apply -f and patch treat metadata.finalizers as a set (strategic merge), as kube-apiserver does', async () => {
    const manifest = (finalizers: string[]) =>
      file('fin.yaml', `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: fin\n  finalizers: [${finalizers.join(', ')}]\n`);
    await ok(['apply', '-f', manifest(['a.io/x', 'b.io/y'])]);
    // The file drops one: kubectl sends $deleteFromPrimitiveList/finalizers.
    await ok(['apply', '-f', manifest(['b.io/y'])]);
    const finalizers = async () => JSON.parse(await ok(['get', 'is', 'fin', '-o', 'jsonpath={.metadata.finalizers}'])) as string[];
    expect(await finalizers()).toEqual(['b.io/y']);
    // kubectl patch (strategic by default) adds to the list rather than replacing it.
    await ok(['patch', 'is', 'fin', '-p', '{"metadata":{"finalizers":["c.io/z"]}}']);
    expect(await finalizers()).toEqual(['b.io/y', 'c.io/z']);
    await ok(['patch', 'is', 'fin', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    await ok(['delete', 'is', 'fin']);
  });

  it('patch --type merge and --type json', async () => {
    expect(await ok(['patch', 'is', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"gold"}}}'])).toBe('imagestream.image.openshift.io/web patched\n');
    expect(await ok(['patch', 'is', 'web', '--type', 'json', '-p', '[{"op":"add","path":"/spec/tags/-","value":{"name":"extra","from":{"kind":"DockerImage","name":"quay.io/kc/web:9"}}}]'])).toBe(
      'imagestream.image.openshift.io/web patched\n',
    );
    const stream = (await call('GET', `${api.base}/namespaces/kc/imagestreams/web`)).body;
    expect(stream.metadata.labels).toEqual({ team: 'web', tier: 'gold' });
    expect(stream.spec.tags.map((t: any) => t.name)).toEqual(['extra', 'latest']);
    // kubectl reads the object first, so istag patches need a tag with an image (spec-only tags are 404 on GET).
    expect(await ok(['patch', 'istag', 'web:latest', '--type', 'merge', '-p', '{"tag":{"referencePolicy":{"type":"Local"}}}'])).toBe(
      'imagestreamtag.image.openshift.io/web:latest patched\n',
    );
    const istag = JSON.parse(await ok(['get', 'istag', 'web:latest', '-o', 'json']));
    expect(istag.image.dockerImageReference).toBe(`registry.local:5000/kc/web@${digest('a')}`);
  });

  it('delete, and NotFound answers worded by the server', async () => {
    expect(await ok(['delete', 'istag', 'web:extra'])).toBe('imagestreamtag.image.openshift.io "web:extra" deleted\n');
    expect(await ok(['delete', 'is', 'applied'])).toBe('imagestream.image.openshift.io "applied" deleted\n');
    const gone = await kubectl(['get', 'is', 'applied']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('imagestreams.image.openshift.io "applied" not found');
    const badName = await kubectl(['get', 'istag', 'nocolon']);
    expect(badName.stderr).toContain('ImageStreamTags must be retrieved with <name>:<tag>');
  });

  it('get -w shows a pushed tag arrive', async () => {
    const child = spawn('kubectl', [`--cache-dir=${join(dir, 'cache')}`, 'get', 'is', 'web', '-w'], {
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir },
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (pred: () => boolean, what: string) => {
      const deadline = Date.now() + 15000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    await waitFor(() => out.includes('\nweb '), 'the initial row');
    await map('web', 'pushed', digest('b'));
    await waitFor(() => out.split('\n').some((l) => l.startsWith('web ') && l.includes('pushed')), 'the pushed tag');
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+IMAGE REPOSITORY\s+TAGS\s+UPDATED$/);
    expect(lines.filter((l) => l.startsWith('NAME'))).toHaveLength(1);
    child.kill('SIGTERM');
  });

  it('create -f of an ImageStreamMapping records the image and moves the tag (validation on the server)', async () => {
    await ok(['create', '-n', 'kc', '-f', file('stream-m.yaml', 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: mapped\n')]);
    const d = digest('e');
    const mapping = `apiVersion: image.openshift.io/v1
kind: ImageStreamMapping
metadata:
  name: mapped
tag: v1
image:
  metadata:
    name: ${d}
  dockerImageReference: quay.io/kc/mapped@${d}
`;
    // A create-only kind has no item route (404, not 405), so `kubectl apply` goes on to create it.
    expect((await call('GET', `${api.base}/namespaces/kc/imagestreammappings/mapped`)).status).toBe(404);
    expect((await kubectl(['get', 'isimage', '-n', 'kc'])).stderr).toContain('the server could not find the requested resource');
    await ok(['create', '-n', 'kc', '-f', file('mapping.yaml', mapping)]);
    const istag = JSON.parse(await ok(['get', '-n', 'kc', 'istag', 'mapped:v1', '-o', 'json'])) as { image: { metadata: { name: string } } };
    expect(istag.image.metadata.name).toBe(d);
  });

  it('explain imagestream.spec.tags (OpenAPI v3)', async () => {
    const out = await ok(['explain', 'imagestream.spec.tags']);
    expect(out).toContain('GROUP:      image.openshift.io');
    expect(out).toContain('KIND:       ImageStream');
    expect(out).toContain('FIELD: tags <[]TagReference>');
    expect(out).toMatch(/from\s+<ObjectReference>/);
    expect(out).toMatch(/referencePolicy\s+<TagReferencePolicy>/);
    const nested = await ok(['explain', 'istag.tag.referencePolicy.type']);
    expect(nested).toContain('Local');
  });

  it('trigger group: explain trigger.spec, apply twice without warnings, get trg/trgsecret/dlv with their columns', async () => {
    const explained = await ok(['explain', 'trigger.spec']);
    expect(explained).toContain('GROUP:      triggers.imagestreamd.io');
    expect(explained).toContain('KIND:       Trigger');
    expect(explained).toMatch(/delivery\s+<TriggerDelivery> -required-/);
    expect(explained).toMatch(/paused\s+<boolean>/);
    expect(await ok(['explain', 'trigger.spec.delivery.secretRef'])).toContain('TriggerSecret');

    const key = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const secret = `apiVersion: triggers.imagestreamd.io/v1\nkind: TriggerSecret\nmetadata: {name: hook-key}\ndata: {key: "${key}"}\n`;
    expect(await ok(['create', '-f', file('trg-secret.yaml', secret)])).toBe('triggersecret.triggers.imagestreamd.io/hook-key created\n');
    const trigger = `apiVersion: triggers.imagestreamd.io/v1
kind: Trigger
metadata: {name: rebuild}
spec:
  from: {kind: ImageStreamTag, name: "web:latest"}
  target: {kind: Webhook, name: ci, fieldPath: 'containers[?(@.name=="app")].image'}
  delivery:
    url: https://ci.example.com/hook
    secretRef: {name: hook-key}
    headers: {X-Team: web}
`;
    const path = file('trigger.yaml', trigger);
    const first = await kubectl(['apply', '-f', path]);
    expect([first.code, first.stdout, first.stderr]).toEqual([0, 'trigger.triggers.imagestreamd.io/rebuild created\n', '']);
    const again = await kubectl(['apply', '-f', path]);
    expect([again.code, again.stdout, again.stderr]).toEqual([0, 'trigger.triggers.imagestreamd.io/rebuild unchanged\n', '']);
    file('trigger.yaml', trigger.replace('X-Team: web', 'X-Team: web2'));
    const changed = await kubectl(['apply', '-f', path]);
    expect([changed.code, changed.stdout, changed.stderr]).toEqual([0, 'trigger.triggers.imagestreamd.io/rebuild configured\n', '']);
    const stored = (await call('GET', `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/kc/triggers/rebuild`)).body;
    expect(stored.spec.delivery).toEqual({ url: 'https://ci.example.com/hook', secretRef: { name: 'hook-key' }, headers: { 'X-Team': 'web2' } });
    expect(stored.spec.target.fieldPath).toBe('containers[?(@.name=="app")].image');

    const trg = rows(await ok(['get', 'trg']));
    expect(trg[0]).toEqual(['NAME', 'FROM', 'TARGET', 'PAUSED', 'LAST IMAGE', 'LAST TRIGGERED', 'AGE']);
    expect(trg[1]).toEqual(['rebuild', 'kc/web:latest', 'Webhook/ci', 'false', '<none>', '<none>', expect.stringMatching(/^\d+s$/)]);
    const wide = rows(await ok(['get', 'trg', '-o', 'wide']));
    expect(wide[0]).toEqual(['NAME', 'FROM', 'TARGET', 'PAUSED', 'LAST IMAGE', 'LAST TRIGGERED', 'URL', 'SECRET', 'CONDITIONS', 'AGE']);
    expect(wide[1]!.slice(6, 8)).toEqual(['https://ci.example.com/hook', 'hook-key']);
    expect(rows(await ok(['get', 'trgsecret']))).toEqual([['NAME', 'KEYS', 'AGE'], ['hook-key', 'key', expect.stringMatching(/^\d+s$/)]]);
    expect(rows((await kubectl(['get', 'dlv'])).stderr)).toEqual([['No resources found in kc namespace.']]);

    const typo = await kubectl(['apply', '-f', file('trigger-typo.yaml', trigger.replace('metadata: {name: rebuild}', 'metadata: {name: typo}').replace('  from:', '  form: {}\n  from:'))]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('unknown field "spec.form"');
  });

  it('create deployment / cronjob (Kubernetes protobuf bodies) store the workloads a trigger annotation can follow', async () => {
    expect(await ok(['create', 'deployment', 'web', '--image=quay.io/x/web:1', '--replicas=2', '--port=8080'])).toBe('deployment.apps/web created\n');
    const deploy = (await call('GET', `${api.url}/apis/apps/v1/namespaces/kc/deployments/web`)).body;
    expect(deploy).toMatchObject({
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'quay.io/x/web:1', ports: [{ containerPort: 8080 }] }] } },
      },
    });
    expect(await ok(['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=*/5 * * * *', '--', 'echo', 'hi'])).toBe('cronjob.batch/nightly created\n');
    const cron = (await call('GET', `${api.url}/apis/batch/v1/namespaces/kc/cronjobs/nightly`)).body;
    expect(deploy.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 8080 }]);
    expect(cron.spec).toMatchObject({
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'nightly', image: 'busybox', command: ['echo', 'hi'] }] } } } },
    });
    const annotated = await ok(['annotate', 'deploy', 'web', `image.openshift.io/triggers=[{"from":{"kind":"ImageStreamTag","name":"web:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\\"web\\")].image","paused":false}]`]);
    expect(annotated).toBe('deployment.apps/web annotated\n');
    // An annotation the trigger controller cannot decode is stored, and kubectl shows the server's Warning.
    const stringly = await kubectl(['annotate', '--overwrite', 'deploy', 'web', 'image.openshift.io/triggers=[{"from":{"kind":"ImageStreamTag","name":"web:latest"},"fieldPath":"spec.template.spec.containers[0].image","paused":"false"}]']);
    expect([stringly.code, stringly.stdout]).toEqual([0, 'deployment.apps/web annotated\n']);
    expect(stringly.stderr).toBe(
      'Warning: metadata.annotations[image.openshift.io/triggers]: [0].paused must be a boolean; the image triggers of this object are ignored\n',
    );
    // Workloads are in the `all` category, as kube-apiserver lists them.
    expect(await ok(['get', 'all', '-o', 'name'])).toContain('deployment.apps/web\ncronjob.batch/nightly\n');
  });

  it('auth can-i answers yes and --list shows one rule for everything (no access control; reviews are posted in protobuf)', async () => {
    expect((await kubectl(['auth', 'can-i', 'create', 'imagestreams'])).stdout.trim()).toBe('yes');
    expect((await kubectl(['auth', 'can-i', 'delete', 'istag', '-n', 'other'])).stdout.trim()).toBe('yes');
    const bad = await call('POST', `${api.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, { spec: {} });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toContain('exactly one of nonResourceAttributes or resourceAttributes must be specified');
    // --list posts a SelfSubjectRulesReview: one rule for everything.
    const list = rows(await ok(['auth', 'can-i', '--list', '-n', 'other']));
    expect(list[0]).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    expect(list[1]).toEqual(['*.*', '[]', '[]', '[*]']);
    const noNamespace = await call('POST', `${api.url}/apis/authorization.k8s.io/v1/selfsubjectrulesreviews`, { spec: {} });
    expect(noNamespace.status).toBe(400);
  });

  it('auth whoami (a SelfSubjectReview, authentication.k8s.io/v1, posted in protobuf): without API authentication the caller is anonymous', async () => {
    const whoami = await kubectl(['auth', 'whoami']);
    expect([whoami.code, whoami.stderr]).toEqual([0, '']);
    expect(rows(whoami.stdout)).toEqual([['ATTRIBUTE', 'VALUE'], ['Username', 'system:anonymous'], ['Groups', '[system:unauthenticated]']]);
    const review = await call('POST', `${api.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect([review.status, review.body]).toEqual([
      201,
      {
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: expect.any(String) },
        status: { userInfo: { username: 'system:anonymous', groups: ['system:unauthenticated'] } },
      },
    ]);
    expect((await call('GET', `${api.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`)).status).toBe(405);
  });

  it('api-resources lists short names', async () => {
    const out = rows(await ok(['api-resources', '--api-group=image.openshift.io']));
    const byName = new Map(out.slice(1).map((r) => [r[0], r]));
    expect(byName.get('imagestreams')).toEqual(['imagestreams', 'is', 'image.openshift.io/v1', 'true', 'ImageStream']);
    expect(byName.get('imagestreamtags')?.[1]).toBe('istag');
    expect(byName.get('imagetags')?.[1]).toBe('itag');
    expect(byName.get('imagestreamimages')?.[1]).toBe('isimage');
    expect(byName.get('imagestreamimports')).toEqual(['imagestreamimports', 'image.openshift.io/v1', 'true', 'ImageStreamImport']);
  });
});
