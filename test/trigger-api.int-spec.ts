import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { call, watchEvents } from '@app/testing';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { pollUntil } from './support/poll';
import { verifiesSignature } from './support/standard-webhooks';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { digest, listDeliveries, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

const table = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
/** metav1.Time on the wire. */
const SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** metav1.MicroTime (attempt times). */
const MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

// A Standard Webhooks secret without the optional prefix, and a prefixed one being rotated out.
const KEY = randomBytes(32).toString('base64');
const PREVIOUS = `whsec_${randomBytes(24).toString('base64')}`;

/** `/ok` answers 200; `/hang` never answers; `/slow` sends its headers after 1 s, then never finishes the body. */
class Receivers {
  received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  private server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/ok') res.writeHead(200).end();
        else if (req.url === '/slow')
          setTimeout(() => res.writeHead(200, { 'content-length': '100' }).write('x'), 1000);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** Trigger API: schemas and field validation, Table columns, secrets, signing, timeouts, timestamps. */
describe('triggers.imagestreamd.io API', () => {
  let server: TriggerServer;
  const rx = new Receivers();
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/api`;
  const img = () => `${server.url}/apis/image.openshift.io/v1/namespaces/api`;
  const spec = (path: string, extra: Record<string, unknown> = {}) => ({
    ...triggerSpec('app:latest', { kind: 'Webhook', name: 'hook' }, `${rx.url}${path}`),
    ...extra,
  });
  /** The trigger's first Delivery once `done` holds for it (or as it is after 15 s). */
  const delivery = (trigger: string, done: (d: any) => boolean) =>
    pollUntil(async () => (await listDeliveries(server.url, 'api', trigger))[0], (d) => d !== undefined && done(d), 15000);

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_ATTEMPT_BUDGET: '1', TRIGGER_DELIVERY_TIMEOUT_MS: '1500' });
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('publishes the trigger kinds in OpenAPI v3 and v2; annotated workloads stay schema-less', async () => {
    const root = (await call('GET', `${server.url}/openapi/v3`)).body;
    const doc = (
      await call('GET', `${server.url}${root.paths['apis/triggers.imagestreamd.io/v1'].serverRelativeURL}`)
    ).body;
    const schemas = doc.components.schemas;
    for (const kind of [
      'Trigger',
      'TriggerList',
      'TriggerSecret',
      'TriggerSecretList',
      'Delivery',
      'DeliveryList',
    ]) {
      expect(schemas[`io.imagestreamd.triggers.v1.${kind}`]['x-kubernetes-group-version-kind']).toEqual([
        { group: 'triggers.imagestreamd.io', kind, version: 'v1' },
      ]);
    }
    expect(Object.keys(schemas['io.imagestreamd.triggers.v1.TriggerSpec'].properties)).toEqual([
      'from',
      'target',
      'delivery',
      'paused',
    ]);
    expect(
      schemas['io.imagestreamd.triggers.v1.TriggerStatus'].properties.conditions[
        'x-kubernetes-patch-merge-key'
      ],
    ).toBe('type');
    expect(
      schemas['io.imagestreamd.triggers.v1.DeliverySpec'].properties.event[
        'x-kubernetes-preserve-unknown-fields'
      ],
    ).toBe(true);
    expect(schemas['io.k8s.api.apps.v1.Deployment']).toMatchObject({
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(schemas['io.k8s.api.apps.v1.Deployment'].properties).toBeUndefined();
    const v2 = (await call('GET', `${server.url}/openapi/v2`)).body;
    expect(v2.definitions['io.imagestreamd.triggers.v1.Trigger'].properties.spec.$ref).toBe(
      '#/definitions/io.imagestreamd.triggers.v1.TriggerSpec',
    );
  });

  it('TriggerSecrets are Standard Webhooks secrets: base64 (optional whsec_), 24 to 64 bytes once decoded', async () => {
    const refused = async (data: Record<string, string>, field: string, detail: RegExp) => {
      const res = await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'bad' }, data });
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toEqual([
        expect.objectContaining({
          field,
          reason: 'FieldValueInvalid',
          message: expect.stringMatching(detail),
        }),
      ]);
      expect(JSON.stringify(res.body)).not.toContain(Object.values(data).at(-1)!.slice(6, 20));
    };
    await refused({ key: 'whsec_!!!notbase64' }, 'data.key', /must be base64/);
    await refused({ key: 'a-raw-secret-that-is-not-base64' }, 'data.key', /must be base64/);
    // 16 characters of text pass a text-length check; 12 bytes of key do not.
    await refused({ key: randomBytes(12).toString('base64') }, 'data.key', /decodes to 12/);
    await refused(
      { key: KEY, previousKey: `whsec_${randomBytes(100).toString('base64')}` },
      'data.previousKey',
      /decodes to 100/,
    );
    const created = await call('POST', `${trg()}/triggersecrets`, {
      metadata: { name: 'hook-key' },
      data: { key: KEY, previousKey: PREVIOUS },
      stringData: { key: 'x' },
    });
    expect(created.status).toBe(201);
    // Not a field of TriggerSecret: dropped with a warning, never stored or served.
    expect(created.headers.get('warning')).toContain('unknown field \\"stringData\\"');
    expect(created.body).toMatchObject({ dataKeys: ['key', 'previousKey'] });
    expect(created.body).not.toHaveProperty('stringData');
    expect(created.body).not.toHaveProperty('data');
  });

  it('a watch on TriggerSecrets never carries the keys, not even in DELETED events', async () => {
    const list = await call('GET', `${trg()}/triggersecrets`);
    const key = randomBytes(32).toString('base64');
    expect((await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'watched' }, data: { key } })).status).toBe(201);
    expect((await call('PATCH', `${trg()}/triggersecrets/watched`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await call('DELETE', `${trg()}/triggersecrets/watched`)).status).toBe(200);
    // Opened after the writes: every state is replayed from the change log, the superseded MODIFIED too.
    const w = watchEvents(`${trg()}/triggersecrets?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    await w.waitFor((e) => e.some((x) => x.type === 'DELETED' && x.object.metadata.name === 'watched'));
    w.stop();
    const mine = w.events.filter((e) => e.object.metadata.name === 'watched');
    expect(mine.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    for (const e of mine) {
      expect(e.object).not.toHaveProperty('data');
      expect(e.object.dataKeys).toEqual(['key']);
    }
    expect(JSON.stringify(w.events)).not.toContain(key);
  });

  it('a list at an older resourceVersion (rebuilt from the change log) shows dataKeys and never the keys', async () => {
    const key = randomBytes(32).toString('base64');
    const created = await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'exact' }, data: { key, previousKey: PREVIOUS } });
    expect(created.status).toBe(201);
    const then = created.body.metadata.resourceVersion;
    expect((await call('PATCH', `${trg()}/triggersecrets/exact`, { metadata: { labels: { later: 'yes' } } }, 'application/merge-patch+json')).status).toBe(200);
    const old = await call('GET', `${trg()}/triggersecrets?resourceVersionMatch=Exact&resourceVersion=${then}`);
    expect(old.status).toBe(200);
    const item = old.body.items.find((i: any) => i.metadata.name === 'exact');
    expect(item.metadata.labels).toBeUndefined();
    expect(item).not.toHaveProperty('data');
    expect(item.dataKeys).toEqual(['key', 'previousKey']);
    expect(JSON.stringify(old.body)).not.toContain(key);
    expect((await call('DELETE', `${trg()}/triggersecrets/exact`)).status).toBe(200);
  });

  it('a JSON patch cannot copy, move or test the keys (they would show in the answer, a read, or an error)', async () => {
    const key = `whsec_${randomBytes(32).toString('base64')}`;
    expect((await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'patched' }, data: { key } })).status).toBe(201);
    const url = `${trg()}/triggersecrets/patched`;
    const jsonPatch = (ops: unknown[], query = '') => call('PATCH', `${url}${query}`, ops, 'application/json-patch+json');
    const refusals = [
      // Into an annotation: stored and served on every read.
      [{ op: 'add', path: '/metadata/annotations', value: {} }, { op: 'copy', from: '/data/key', path: '/metadata/annotations/k' }],
      // Into a field whose validation error echoes the value.
      [{ op: 'copy', from: '/data/key', path: '/metadata/labels' }],
      [{ op: 'move', from: '/data', path: '/metadata/labels' }],
      [{ op: 'copy', from: '', path: '/metadata/annotations' }],
      // A test that passes or fails confirms a guessed key.
      [{ op: 'test', path: '/data/key', value: key }],
    ];
    for (const ops of refusals) {
      for (const query of ['', '?dryRun=All']) {
        const res = await jsonPatch(ops, query);
        expect(res.status).toBe(422);
        expect(res.body.details.causes).toEqual([expect.objectContaining({ reason: 'FieldValueForbidden', field: expect.stringMatching(/^\[\d\]\.(from|path)$/) })]);
        expect(JSON.stringify(res.body)).not.toContain(key.slice(6));
      }
    }
    expect(JSON.stringify((await call('GET', url)).body)).not.toContain(key.slice(6));
    // Writing a key stays possible: that reveals nothing.
    const next = randomBytes(32).toString('base64');
    const rotated = await jsonPatch([{ op: 'add', path: '/data/previousKey', value: key }, { op: 'replace', path: '/data/key', value: next }]);
    expect(rotated.status).toBe(200);
    expect(rotated.body.dataKeys).toEqual(['key', 'previousKey']);
    expect((await call('DELETE', url)).status).toBe(200);
  });

  it('a delete that waits for a finalizer answers the secret without its keys (dry run too); a completed one a Status', async () => {
    const key = `whsec_${randomBytes(32).toString('base64')}`;
    const url = `${trg()}/triggersecrets/finalized`;
    expect((await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'finalized', finalizers: ['example.com/hold'] }, data: { key } })).status).toBe(201);
    for (const query of ['?dryRun=All', '']) {
      const res = await call('DELETE', `${url}${query}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ kind: 'TriggerSecret', dataKeys: ['key'] });
      expect(res.body).not.toHaveProperty('data');
      expect(JSON.stringify(res.body)).not.toContain(key.slice(6));
    }
    expect((await call('PATCH', url, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'plain' }, data: { key } })).status).toBe(201);
    const done = await call('DELETE', `${trg()}/triggersecrets/plain`);
    expect(done.body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(done.body).not.toHaveProperty('dataKeys');
  });

  (kubectlFound ? it : it.skip)('kubectl apply of a TriggerSecret keeps the keys out of the last-applied annotation, and a later apply still removes previousKey', async () => {
    const ws = kubectlWorkspace(server.url, 'api');
    try {
      const key = `whsec_${randomBytes(32).toString('base64')}`;
      const previous = randomBytes(32).toString('base64');
      const manifest = (data: Record<string, string>) =>
        ['apiVersion: triggers.imagestreamd.io/v1', 'kind: TriggerSecret', 'metadata:', '  name: applied', 'data:', ...Object.entries(data).map(([k, v]) => `  ${k}: ${v}`), ''].join('\n');
      expect((await ws.run(['apply', '-f', '-'], manifest({ key, previousKey: previous }))).code).toBe(0);
      const shown = await ws.run(['get', 'trgsecret', 'applied', '-o', 'yaml']);
      expect(shown.stdout).toContain('kubectl.kubernetes.io/last-applied-configuration');
      expect(shown.stdout).not.toContain(key);
      expect(shown.stdout).not.toContain(previous);
      expect((await ws.run(['apply', '-f', '-'], manifest({ key }))).code).toBe(0);
      const after = (await call('GET', `${trg()}/triggersecrets/applied`)).body;
      expect(after.dataKeys).toEqual(['key']);
      expect(JSON.stringify((await call('GET', `${trg()}/triggersecrets`)).body)).not.toContain(key);
      expect((await ws.run(['delete', 'trgsecret', 'applied'])).code).toBe(0);
    } finally {
      ws.remove();
    }
  });

  it("managedFields own a TriggerSecret's data and a Trigger's headers as maps (FieldsV1 `.`) for an updater, key by key for an applier", async () => {
    const key = `whsec_${randomBytes(32).toString('base64')}`;
    const created = await call('POST', `${trg()}/triggersecrets?fieldManager=maker`, { metadata: { name: 'owned' }, data: { key } });
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'maker', operation: 'Update', fieldsV1: { 'f:data': { '.': {}, 'f:key': {} } } }),
    ]);
    const hooked = await call('POST', `${trg()}/triggers?fieldManager=maker`, {
      metadata: { name: 'owned' },
      spec: { ...spec('/ok'), delivery: { ...spec('/ok').delivery, headers: { 'X-One': '1' } } },
    });
    expect(hooked.status).toBe(201);
    expect(hooked.body.metadata.managedFields[0].fieldsV1['f:spec']['f:delivery']['f:headers']).toEqual({ '.': {}, 'f:X-One': {} });
    const applied = await call(
      'PATCH',
      `${trg()}/triggers/applied-headers?fieldManager=ci`,
      { apiVersion: 'triggers.imagestreamd.io/v1', kind: 'Trigger', metadata: { name: 'applied-headers' }, spec: { ...spec('/ok'), delivery: { ...spec('/ok').delivery, headers: { 'X-One': '1' } } } },
      'application/apply-patch+yaml',
    );
    expect(applied.status).toBe(201);
    expect(applied.body.metadata.managedFields[0].fieldsV1['f:spec']['f:delivery']['f:headers']).toEqual({ 'f:X-One': {} });
    for (const path of ['triggers/owned', 'triggers/applied-headers', 'triggersecrets/owned']) expect((await call('DELETE', `${trg()}/${path}`)).status).toBe(200);
  });

  (kubectlFound ? it : it.skip)('kubectl apply --server-side takes over a client-side applied TriggerSecret (a key rotation) as for a Secret, unless someone changed the key since', async () => {
    const ws = kubectlWorkspace(server.url, 'api');
    try {
      const [first, second, third] = [1, 2, 3].map(() => `whsec_${randomBytes(32).toString('base64')}`);
      const manifest = (name: string, key: string) => ['apiVersion: triggers.imagestreamd.io/v1', 'kind: TriggerSecret', 'metadata:', `  name: ${name}`, 'data:', `  key: ${key}`, ''].join('\n');
      // Client-side apply, then a server-side apply rotating the key: kube-apiserver's lastAppliedManager
      // lets `kubectl` take fields still as the last-applied annotation records them, redacted or not.
      expect((await ws.run(['apply', '-f', '-'], manifest('migrated', first!))).code).toBe(0);
      const rotated = await ws.run(['apply', '--server-side', '-f', '-'], manifest('migrated', second!));
      expect(rotated.stderr).not.toContain('conflict');
      expect(rotated.code).toBe(0);
      const managers = (await call('GET', `${trg()}/triggersecrets/migrated`)).body.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`);
      expect(managers).toContain('kubectl/Apply');
      expect(JSON.stringify((await call('GET', `${trg()}/triggersecrets/migrated`)).body)).not.toContain(second);
      // A key another writer changed after the client-side apply is no longer what it applied: 409.
      expect((await ws.run(['apply', '-f', '-'], manifest('patched', first!))).code).toBe(0);
      const patch = await call('PATCH', `${trg()}/triggersecrets/patched?fieldManager=rotator`, { data: { key: second } }, 'application/merge-patch+json');
      expect(patch.status).toBe(200);
      const refused = await ws.run(['apply', '--server-side', '-f', '-'], manifest('patched', third!));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('conflict with "rotator" using triggers.imagestreamd.io/v1: .data.key');
      expect(refused.stderr).not.toContain(third);
      for (const name of ['migrated', 'patched']) expect((await ws.run(['delete', 'trgsecret', name])).code).toBe(0);
    } finally {
      ws.remove();
    }
  });

  it('a Trigger names a signing secret and a fieldPath in the annotation grammar (422 otherwise)', async () => {
    const unsigned = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'unsigned' },
      spec: { ...spec('/ok'), delivery: { url: `${rx.url}/ok` } },
    });
    expect(unsigned.status).toBe(422);
    expect(unsigned.body.message).toContain('spec.delivery.secretRef: Required value');
    // Names are DNS-1123 subdomains, as for Kubernetes objects in general.
    for (const [path, body] of [
      ['triggers', { metadata: { name: 'V_1' }, spec: spec('/ok') }],
      ['triggersecrets', { metadata: { name: 'UPPER' }, data: { key: KEY } }],
    ] as const) {
      const refused = await call('POST', `${trg()}/${path}`, body);
      expect(refused.status).toBe(422);
      expect(refused.body.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.name' });
      expect(refused.body.message).toContain('a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters');
    }
    const quoted = "containers[?(@.name=='app')].image";
    const bad = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'quoted' },
      spec: spec('/ok', { target: { kind: 'Webhook', name: 'hook', fieldPath: quoted } }),
    });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes.map((c: any) => c.field)).toEqual(['spec.target.fieldPath']);
    const deployment = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'deploy' },
      spec: spec('/ok', {
        target: { kind: 'Deployment', name: 'web', fieldPath: 'containers[?(@.name=="app")].image' },
      }),
    });
    expect(deployment.status).toBe(422);
    expect(deployment.body.details.causes[0].message).toContain('spec.template.spec.containers[');
    // In a workload annotation the same selector is not refused (kube-apiserver does not validate
    // annotations): the workload is stored and a Warning says the entry will not apply.
    const annotated = await call('POST', `${server.url}/apis/apps/v1/namespaces/api/deployments`, {
      metadata: {
        name: 'web',
        annotations: {
          'image.openshift.io/triggers': JSON.stringify([
            {
              from: { kind: 'ImageStreamTag', name: 'app:latest' },
              fieldPath: `spec.template.spec.${quoted}`,
            },
          ]),
        },
      },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'x' }] } } },
    });
    expect(annotated.status).toBe(201);
    expect(annotated.headers.get('warning')).toContain('image.openshift.io/triggers]: [0].fieldPath must be spec.template.spec.containers[');
  });

  it('a Trigger cannot follow a stream no ImageStream can be named (it would wait forever): 422 at spec.from.name', async () => {
    for (const name of ['App:latest', '../app:latest', 'app_:latest']) {
      const refused = await call('POST', `${trg()}/triggers`, { metadata: { name: 'badfrom' }, spec: spec('/ok', { from: { kind: 'ImageStreamTag', name } }) });
      expect(refused.status).toBe(422);
      expect(refused.body.details.causes.map((c: any) => c.field)).toEqual(['spec.from.name']);
      // The same stream name is what an ImageStream create refuses.
      const stream = await call('POST', `${img()}/imagestreams?dryRun=All`, { metadata: { name: name.split(':')[0] } });
      expect(stream.status).toBe(422);
    }
    const ok = await call('POST', `${trg()}/triggers?dryRun=All`, { metadata: { name: 'goodfrom' }, spec: spec('/ok', { from: { kind: 'ImageStreamTag', name: 'app.v2-x:latest' } }) });
    expect(ok.status).toBe(201);
  });

  it('a Deployment target names a Deployment and containers that can exist (DNS-1123 names): 422 otherwise', async () => {
    const post = (target: Record<string, unknown>) =>
      call('POST', `${trg()}/triggers?dryRun=All`, { metadata: { name: 'badtarget' }, spec: spec('/ok', { target }) });
    const badName = await post({ kind: 'Deployment', name: 'Web_1', fieldPath: 'spec.template.spec.containers[0].image' });
    expect(badName.status).toBe(422);
    expect(badName.body.details.causes.map((c: any) => c.field)).toEqual(['spec.target.name']);
    const badContainer = await post({ kind: 'Deployment', name: 'web', containerNames: ['app', 'Side'] });
    expect(badContainer.status).toBe(422);
    expect(badContainer.body.details.causes.map((c: any) => c.field)).toEqual(['spec.target.containerNames[1]']);
    expect((await post({ kind: 'Deployment', name: 'web.v2', containerNames: ['app', 'side-1'] })).status).toBe(201);
    // Build and Webhook target names are the receiver's own (a job, a pipeline): not Kubernetes names.
    expect((await post({ kind: 'Build', name: 'Nightly Build' })).status).toBe(201);
    const twice = await post({ kind: 'Deployment', name: 'web', containerNames: ['app', 'side', 'app'] });
    expect(twice.body.details.causes).toEqual([{ reason: 'FieldValueDuplicate', message: 'Duplicate value: "app"', field: 'spec.target.containerNames[2]' }]);
  });

  it('a PushPreview stands for a push that can happen: an unusable or contradicting dockerImageReference and unknown spec fields are 422', async () => {
    const d = `sha256:${'fe'.repeat(32)}`;
    const preview = (spec: Record<string, unknown>) => call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'app:latest' }, spec: { image: d, ...spec } });
    const fields = async (spec: Record<string, unknown>) => {
      const res = await preview(spec);
      expect(res.status).toBe(422);
      return res.body.details.causes.map((c: any) => `${c.field}: ${c.message}`);
    };
    expect(await fields({ dockerImageReference: 'not a ref' })).toEqual(['spec.dockerImageReference: Invalid value: "not a ref": must be an image pull spec']);
    expect(await fields({ dockerImageReference: `quay.io/a/app@sha256:${'0'.repeat(64)}` })).toEqual([
      `spec.dockerImageReference: Invalid value: "quay.io/a/app@sha256:${'0'.repeat(64)}": must name the digest of spec.image (${d}) when it names one`,
    ]);
    expect(await fields({ bogus: 1 })).toEqual(['spec.bogus: Unsupported value: "bogus": supported values: "image", "dockerImageReference"']);
    // Only a digest a push can carry (go-digest: a known algorithm, its length of lowercase hex).
    const image = async (value: string) => {
      const res = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'app:latest' }, spec: { image: value } });
      expect(res.status).toBe(422);
      return res.body.details.causes.map((c: any) => `${c.field}: ${c.message}`);
    };
    expect(await image(`sha256:${'fe'.repeat(20)}`)).toEqual([`spec.image: Invalid value: "sha256:${'fe'.repeat(20)}": must be an image digest: invalid checksum digest length`]);
    expect(await image(`md5:${'fe'.repeat(16)}`)).toEqual([`spec.image: Invalid value: "md5:${'fe'.repeat(16)}": must be an image digest: unsupported digest algorithm`]);
    expect(await image(`sha256:${'FE'.repeat(32)}`)).toEqual([`spec.image: Invalid value: "sha256:${'FE'.repeat(32)}": must be an image digest`]);
    expect((await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'app:latest' }, spec: { image: `sha512:${'ab'.repeat(64)}` } })).status).toBe(201);
    // Left out: Required, as api-conventions has it.
    const empty = await call('POST', `${trg()}/pushpreviews`, { metadata: {}, spec: {} });
    expect(empty.status).toBe(422);
    expect(empty.body.details.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value: the <stream>:<tag> a push would move', field: 'metadata.name' },
      { reason: 'FieldValueRequired', message: 'Required value: the digest a push would carry', field: 'spec.image' },
    ]);
    expect((await preview({ dockerImageReference: `quay.io/a/app@${d}` })).status).toBe(201);
    expect((await preview({ dockerImageReference: 'quay.io/a/app:latest' })).status).toBe(201);
  });

  it('a signing secret name no TriggerSecret can have is 422 (every delivery would dead-letter)', async () => {
    const body = spec('/ok');
    const bad = await call('POST', `${trg()}/triggers?dryRun=All`, { metadata: { name: 'badsecret' }, spec: { ...body, delivery: { ...body.delivery, secretRef: { name: 'Bad_Name' } } } });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes.map((c: any) => c.field)).toEqual(['spec.delivery.secretRef.name']);
  });

  it('a 422 never echoes credentials: a delivery URL userinfo and header values are masked', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const token = `tok-${randomBytes(8).toString('hex')}`;
    for (const [name, delivery, field] of [
      ['userinfo', { url: `http://robot:${password}@127.0.0.1:1/hook`, secretRef: { name: 'hook-key' } }, 'spec.delivery.url'],
      ['not-http', { url: `ftp://robot:${password}@127.0.0.1/hook`, secretRef: { name: 'hook-key' } }, 'spec.delivery.url'],
      ['unparseable', { url: `http://robot:${password}@@[::1/hook`, secretRef: { name: 'hook-key' } }, 'spec.delivery.url'],
      ['header', { url: `${rx.url}/ok`, secretRef: { name: 'hook-key' }, headers: { Authorization: `Bearer ${token}\r\nX: y` } }, 'spec.delivery.headers[Authorization]'],
    ] as const) {
      const refused = await call('POST', `${trg()}/triggers`, { metadata: { name }, spec: { ...spec('/ok'), delivery } });
      expect(refused.status).toBe(422);
      expect(refused.body.details.causes.map((c: { field: string }) => c.field)).toContain(field);
      expect(refused.body.message).toContain('<redacted>');
      expect(JSON.stringify(refused.body)).not.toContain(password);
      expect(JSON.stringify(refused.body)).not.toContain(token);
    }
  });

  it('a credential-looking spec.delivery.headers entry is accepted with a Warning pointing at the TriggerSecret header key', async () => {
    const withHeaders = (headers: Record<string, string>) => ({ ...spec('/ok'), delivery: { url: `${rx.url}/ok`, secretRef: { name: 'hook-key' }, headers } });
    const created = await call('POST', `${trg()}/triggers`, { metadata: { name: 'leaky' }, spec: withHeaders({ Authorization: 'Bearer x', 'X-Team': 'ci' }) });
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toBe(
      '299 - "spec.delivery.headers[Authorization]: looks like a credential, and the Trigger\'s spec is served to every reader; ' +
        'put it in the TriggerSecret hook-key as data key \\"header.Authorization\\" instead (write-only, sent with every delivery it signs)"',
    );
    // Each such header is named, on updates too; other headers are not.
    const patched = await call('PATCH', `${trg()}/triggers/leaky`, { spec: { delivery: { headers: { 'X-Gitlab-Token': 't', Cookie: 'c' } } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    const warned = (patched.headers.get('warning') ?? '').split(/, (?=299 )/).map((w) => /headers\[([^\]]+)\]/.exec(w)?.[1]);
    expect(warned.sort()).toEqual(['Authorization', 'Cookie', 'X-Gitlab-Token']);
    const plain = await call('POST', `${trg()}/triggers`, { metadata: { name: 'plain-headers' }, spec: withHeaders({ 'X-Team': 'ci', 'X-Build-Id': '7' }) });
    expect(plain.status).toBe(201);
    expect(plain.headers.get('warning')).toBeNull();
    for (const name of ['leaky', 'plain-headers']) expect((await call('DELETE', `${trg()}/triggers/${name}`)).status).toBe(200);
  });

  it('DELETE on a status subresource is 405 MethodNotAllowed and deletes nothing (Trigger and ImageStream)', async () => {
    expect((await call('POST', `${trg()}/triggers`, { metadata: { name: 'keep-me' }, spec: triggerSpec('app:latest', { kind: 'Webhook', name: 'hook' }, `${rx.url}/keep`) })).status).toBe(201);
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'keep-me' } })).status).toBe(201);
    for (const path of [`${trg()}/triggers/keep-me/status`, `${img()}/imagestreams/keep-me/status`]) {
      const res = await call('DELETE', path);
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    }
    expect((await call('GET', `${trg()}/triggers/keep-me`)).status).toBe(200);
    expect((await call('GET', `${img()}/imagestreams/keep-me`)).status).toBe(200);
    expect((await call('DELETE', `${trg()}/triggers/keep-me`)).status).toBe(200);
  });

  it('field validation: every Trigger field is kept; unknown ones warn and are dropped, or are a 400 in Strict mode', async () => {
    const full = {
      from: { kind: 'ImageStreamTag', name: 'app:latest', namespace: 'api' },
      target: {
        kind: 'Webhook',
        name: 'hook',
        // fieldPath names containers too; the two are not given together (422).
        containerNames: ['app'],
      },
      delivery: { url: `${rx.url}/ok`, secretRef: { name: 'hook-key' }, headers: { 'X-Team': 'web' } },
      paused: false,
    };
    const both = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'both' },
      spec: { ...full, target: { ...full.target, fieldPath: 'spec.template.spec.containers[?(@.name=="app")].image' } },
    });
    expect(both.status).toBe(422);
    expect(both.body.details.causes).toEqual([
      { reason: 'FieldValueForbidden', message: 'Forbidden: may not be set together with spec.target.fieldPath', field: 'spec.target.containerNames' },
    ]);
    const strict = await call('POST', `${trg()}/triggers?fieldValidation=Strict`, {
      metadata: { name: 'full' },
      spec: { ...full, bogus: 1 },
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('Trigger in version "v1" cannot be handled as a Trigger: strict decoding error: unknown field "spec.bogus"');
    const created = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'full', labels: { team: 'web' }, annotations: { note: 'n' } },
      spec: { ...full, bogus: 1, delivery: { ...full.delivery, retries: 3 } },
      status: { lastTriggeredImageID: 'ignored' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toContain('unknown field \\"spec.bogus\\"');
    expect(created.headers.get('warning')).toContain('unknown field \\"spec.delivery.retries\\"');
    const read = (await call('GET', `${trg()}/triggers/full`)).body;
    expect(read.spec).toEqual(full);
    expect(read.metadata).toMatchObject({ labels: { team: 'web' }, annotations: { note: 'n' } });
    const patched = await call(
      'PATCH',
      `${trg()}/triggers/full`,
      { spec: { paused: true } },
      'application/merge-patch+json',
    );
    expect(patched.body.spec.paused).toBe(true);
    await call(
      'PATCH',
      `${trg()}/triggers/full`,
      { spec: { paused: false } },
      'application/merge-patch+json',
    );

    // Annotated workloads publish no schema: whatever they carry is kept.
    const workload = {
      metadata: { name: 'free' },
      spec: {
        replicas: 2,
        strategy: { type: 'Recreate' },
        template: {
          spec: { containers: [{ name: 'app', image: 'x', resources: { limits: { cpu: '1' } } }] },
        },
      },
    };
    const stored = await call(
      'POST',
      `${server.url}/apis/apps/v1/namespaces/api/deployments?fieldValidation=Strict`,
      workload,
    );
    expect(stored.status).toBe(201);
    expect(stored.body.spec).toEqual(workload.spec);
  });

  it('signs every delivery so an independent verifier accepts it (base64 key without prefix, and the key being rotated out)', async () => {
    await call('POST', `${img()}/imagestreammappings`, {
      metadata: { name: 'app' },
      tag: 'latest',
      image: { metadata: { name: digest('a') }, dockerImageReference: `quay.io/api/app@${digest('a')}` },
    });
    const d = await delivery('full', (x) => x.status.state === 'delivered');
    expect(d.status.state).toBe('delivered');
    const [got] = rx.received.filter((r) => r.path === '/ok');
    expect(got!.headers['webhook-id']).toBe(d.metadata.name);
    expect(got!.headers['x-team']).toBe('web');
    expect(verifiesSignature(KEY, got!.headers, got!.body)).toBe(true);
    expect(verifiesSignature(PREVIOUS, got!.headers, got!.body)).toBe(true);
    expect(verifiesSignature(randomBytes(32).toString('base64'), got!.headers, got!.body)).toBe(false);
  });

  it('the delivery timeout bounds the whole attempt (connect + headers + body), and the latency is recorded as it was', async () => {
    for (const path of ['hang', 'slow']) {
      expect(
        (await call('POST', `${trg()}/triggers`, { metadata: { name: path }, spec: spec(`/${path}`) }))
          .status,
      ).toBe(201);
    }
    for (const name of ['hang', 'slow']) {
      const d = await delivery(name, (x) => x.status.state === 'dead');
      const [attempt] = d.status.attemptHistory;
      expect(attempt).toMatchObject({ error: 'timed out after 1500 ms' });
      // Before: each phase had its own 1.5 s (the slow body ran to ~2.5-3 s), on 0.5 s timer ticks.
      expect(attempt.latencyMs).toBeGreaterThanOrEqual(1450);
      expect(attempt.latencyMs).toBeLessThan(2000);
      // Start and end are taken around the exchange itself, on one clock: they differ by the latency
      // (Date.parse drops the microseconds, latencyMs is rounded).
      const measured = Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt);
      expect(Math.abs(measured - attempt.latencyMs)).toBeLessThan(2);
    }
  }, 30000);

  it('prints trigger, delivery and secret Tables with their columns', async () => {
    const get = async (resource: string) =>
      (await fetch(`${trg()}/${resource}`, { headers: { accept: table } })).json() as Promise<any>;
    const triggers = await get('triggers');
    expect(triggers.kind).toBe('Table');
    expect(triggers.columnDefinitions.map((c: any) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['From', 0],
      ['Target', 0],
      ['Paused', 0],
      ['Last Image', 0],
      ['Last Triggered', 0],
      ['URL', 1],
      ['Secret', 1],
      ['Conditions', 1],
      ['Age', 0],
    ]);
    const full = triggers.rows.find((r: any) => r.cells[0] === 'full');
    expect(full.cells).toEqual([
      'full',
      'api/app:latest',
      'Webhook/hook',
      false,
      'sha256:aaaaaaaaaaaa',
      expect.stringMatching(/^\d+s$/),
      `${rx.url}/ok`,
      'hook-key',
      expect.stringContaining('Triggered'),
      expect.stringMatching(/^\d+s$/),
    ]);
    const deliveries = await get('deliveries');
    expect(deliveries.columnDefinitions.map((c: any) => c.name)).toEqual([
      'Name',
      'Trigger',
      'Image',
      'State',
      'Attempts',
      'Last Code',
      'Age',
      'URL',
      'Next Attempt',
      'Last Error',
    ]);
    expect(deliveries.rows.find((r: any) => r.cells[1] === 'full').cells.slice(1, 6)).toEqual([
      'full',
      'sha256:aaaaaaaaaaaa',
      'delivered',
      1,
      200,
    ]);
    expect(deliveries.rows.find((r: any) => r.cells[1] === 'hang').cells.slice(3, 6)).toEqual([
      'dead',
      1,
      null,
    ]);
    const secrets = await get('triggersecrets');
    expect(secrets.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Keys', 'Age']);
    expect(secrets.rows).toEqual([
      expect.objectContaining({ cells: ['hook-key', 'key,previousKey', expect.stringMatching(/^\d+s$/)] }),
    ]);
    expect(JSON.stringify(secrets)).not.toContain(KEY.slice(0, 20));
  });

  it('writes RFC 3339 UTC times: seconds for metadata and status, microseconds for attempts', async () => {
    const t = (await call('GET', `${trg()}/triggers/full`)).body;
    expect(t.metadata.creationTimestamp).toMatch(SECONDS);
    expect(t.status.lastTriggeredTime).toMatch(SECONDS);
    for (const c of t.status.conditions) expect(c.lastTransitionTime).toMatch(SECONDS);
    const d = await delivery('full', () => true);
    expect(d.metadata.creationTimestamp).toMatch(SECONDS);
    expect(d.status.deliveredTime).toMatch(SECONDS);
    expect(d.status.attemptHistory[0].startedAt).toMatch(MICROS);
    expect(d.status.attemptHistory[0].finishedAt).toMatch(MICROS);
    const dead = await delivery('hang', () => true);
    // Real microseconds at both ends, not milliseconds padded with zeros (one in a thousand ends in 000).
    const attempts = [d, dead, await delivery('slow', () => true)].flatMap((x) => x.status.attemptHistory);
    expect(attempts.filter((a: { finishedAt: string }) => !a.finishedAt.endsWith('000Z')).length).toBeGreaterThan(0);
    expect(attempts.filter((a: { startedAt: string }) => !a.startedAt.endsWith('000Z')).length).toBeGreaterThan(0);
    const batch = d.status.attemptHistory[0];
    expect(Math.abs(Date.parse(batch.finishedAt) - Date.parse(batch.startedAt) - batch.latencyMs)).toBeLessThan(2);
    expect(dead.status.deadLetteredTime).toMatch(SECONDS);
    const feed = (await call('GET', `${trg()}/tagchangeevents`)).body;
    expect(feed.items[0].metadata.creationTimestamp).toMatch(SECONDS);
  });
});
