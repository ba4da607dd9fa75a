import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, type KubectlWorkspace, kubectlWorkspace } from './support/kubectl';

/**
 * Black-box audit s16: kubectl 1.32 against the image kinds and Triggers, compared with what
 * kube-apiserver / openshift-apiserver answer. Each case is read off upstream source, cited per test.
 */
const suite = kubectlFound ? describe : describe.skip;
if (!kubectlFound) console.warn('test/kubectl-conformance-s16.int-spec.ts skipped: `kubectl` is not on PATH');

const stream = (name: string, spec = '') => `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: ${name}}\n${spec}`;

suite(kubectlFound ? 'kubectl conformance (audit s16)' : 'kubectl conformance (audit s16) (skipped: kubectl is not on PATH)', () => {
  let api: TestApi;
  let ws: KubectlWorkspace;
  const managers = async (name: string) =>
    ((await call('GET', `${api.base}/namespaces/s16/imagestreams/${name}`)).body.metadata.managedFields ?? []) as { manager: string; fieldsV1: object }[];

  beforeAll(async () => {
    api = await startTestApi();
    ws = kubectlWorkspace(api.url, 's16');
  });
  afterAll(async () => {
    await api?.close();
    ws?.remove();
  });

  // apiserver create.go compares the decoded object with scope.Creater.New() (UpdateNoErrors(liveObj
  // = empty v1.ImageStream, obj)); skipnonapplied.go gives before-first-apply what the live object
  // changes from that same empty object. A new v1.ImageStream already serialises
  // spec.lookupPolicy.local: false (no omitempty), so neither owns it and an apply setting it is no conflict.
  it('kubectl create of a bare stream owns nothing; apply --server-side of lookupPolicy then takes it without a conflict (also over before-first-apply)', async () => {
    expect(await ws.ok(['create', '-f', '-'], stream('bare'))).toBe('imagestream.image.openshift.io/bare created\n');
    expect(await managers('bare')).toEqual([]);
    // lookupPolicy.local: false sent explicitly is the same decoded object.
    await ws.ok(['create', '-f', '-'], stream('explicit', 'spec: {lookupPolicy: {local: false}}\n'));
    expect(await managers('explicit')).toEqual([]);
    const local = (name: string) => stream(name, 'spec: {lookupPolicy: {local: true}}\n');
    expect(await ws.ok(['apply', '--server-side', '-f', '-'], local('bare'))).toBe('imagestream.image.openshift.io/bare serverside-applied\n');
    expect((await managers('bare')).map((m) => [m.manager, m.fieldsV1])).toEqual([['kubectl', { 'f:spec': { 'f:lookupPolicy': { 'f:local': {} } } }]]);

    // A labelled stream whose ownership was cleared: before-first-apply gets the label, not lookupPolicy.
    await ws.ok(['create', '-f', '-'], `${stream('cleared')}`.replace('{name: cleared}', '{name: cleared, labels: {team: a}}'));
    await ws.ok(['patch', 'is', 'cleared', '--type=merge', '-p', '{"metadata":{"managedFields":[{}]}}']);
    expect(await managers('cleared')).toEqual([]);
    await ws.ok(['apply', '--server-side', '-f', '-'], local('cleared'));
    expect((await managers('cleared')).map((m) => [m.manager, m.fieldsV1])).toEqual([
      ['kubectl', { 'f:spec': { 'f:lookupPolicy': { 'f:local': {} } } }],
      ['before-first-apply', { 'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } } }],
    ]);
  });

  // openshift-apiserver imagestreamtag/imagetag rest.go hand the patcher a view made afresh (newISTag,
  // no managedFields); the default field manager's skipNonAppliedManager then gives
  // before-first-apply every field the view sets (compared with a new v1.ImageStreamTag), so an
  // apply changing one is a 409 conflict (fieldmanager NewConflictError wording), --force-conflicts
  // takes it, the same values are shared, and new fields are free.
  it('apply --server-side of an istag or itag changing a field the view has: 409 conflict with before-first-apply; same values, new tags and --force-conflicts apply', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect((await call('POST', `${api.base}/namespaces/s16/imagestreams`, { metadata: { name: 'views' }, spec: { tags: [{ name: 'v1', from: { kind: 'DockerImage', name: 'quay.io/s16/views:v1' } }] } })).status).toBe(201);
    const mapped = await call('POST', `${api.base}/namespaces/s16/imagestreammappings`, {
      metadata: { name: 'views' },
      tag: 'v1',
      image: { metadata: { name: digest }, dockerImageReference: `quay.io/s16/views@${digest}` },
    });
    expect(mapped.status).toBe(201);
    const istag = (name: string, from: string) =>
      `apiVersion: image.openshift.io/v1\nkind: ImageStreamTag\nmetadata: {name: "views:${name}"}\ntag:\n  name: ${name}\n  from: {kind: DockerImage, name: "${from}"}\n`;
    const itag = (name: string, from: string) =>
      `apiVersion: image.openshift.io/v1\nkind: ImageTag\nmetadata: {name: "views:${name}"}\nspec:\n  name: ${name}\n  from: {kind: DockerImage, name: "${from}"}\n`;
    const specFrom = async (tag: string) =>
      ((await call('GET', `${api.base}/namespaces/s16/imagestreams/views`)).body.spec.tags as { name: string; from: { name: string } }[]).find((t) => t.name === tag)?.from.name;

    // The values the view already has: shared, no conflict.
    expect(await ws.ok(['apply', '--server-side', '-f', '-'], istag('v1', 'quay.io/s16/views:v1'))).toBe('imagestreamtag.image.openshift.io/views:v1 serverside-applied\n');
    for (const [kind, config] of [
      ['istag', istag('v1', 'quay.io/s16/views:v2')],
      ['itag', itag('v1', 'quay.io/s16/views:v2')],
    ] as const) {
      const refused = await ws.run(['apply', '--server-side', '-f', '-'], config);
      expect({ kind, code: refused.code, first: refused.stderr.split('\n')[0] }).toEqual({
        kind,
        code: 1,
        first: `error: Apply failed with 1 conflict: conflict with "before-first-apply" using image.openshift.io/v1: .${kind === 'istag' ? 'tag' : 'spec'}.from.name`,
      });
      expect(await specFrom('v1')).toBe('quay.io/s16/views:v1');
    }
    const raw = await call('PATCH', `${api.base}/namespaces/s16/imagestreamtags/views:v1?fieldManager=ci`, istag('v1', 'quay.io/s16/views:v2'), 'application/apply-patch+yaml');
    expect([raw.status, raw.body.details]).toEqual([
      409,
      { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "before-first-apply" using image.openshift.io/v1', field: '.tag.from.name' }] },
    ]);
    expect(await ws.ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], itag('v1', 'quay.io/s16/views:v2'))).toBe('imagetag.image.openshift.io/views:v1 serverside-applied\n');
    expect(await specFrom('v1')).toBe('quay.io/s16/views:v2');
    // A tag the stream does not have yet: nothing of it is anyone's.
    expect(await ws.ok(['apply', '--server-side', '-f', '-'], istag('next', 'quay.io/s16/views:v3'))).toBe('imagestreamtag.image.openshift.io/views:next serverside-applied\n');
    expect(await specFrom('next')).toBe('quay.io/s16/views:v3');
  });

  // apimachinery managedfields encodeManagedFields → sortEncodedManagedFields: by operation, time
  // (seconds), manager, then apiVersion, then subresource.
  it('managedFields of one manager at one time are ordered by apiVersion, then subresource (kubectl replace -f with managedFields given)', async () => {
    await ws.ok(['create', '-f', '-'], stream('order').replace('{name: order}', '{name: order, labels: {a: "1", b: "2", c: "3"}}'));
    const entry = (label: string, extra: string) =>
      `  - {manager: m, operation: Update, time: "2026-01-01T00:00:00Z", fieldsType: FieldsV1, fieldsV1: {"f:metadata": {"f:labels": {"f:${label}": {}}}}, ${extra}}\n`;
    const file = `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: order\n  labels: {a: "1", b: "2", c: "3"}\n  managedFields:\n${entry('a', 'apiVersion: image.openshift.io/v1, subresource: status')}${entry('b', 'apiVersion: image.openshift.io/v1')}${entry('c', 'apiVersion: image.openshift.io/v1beta1')}`;
    expect(await ws.ok(['replace', '-f', '-'], file)).toBe('imagestream.image.openshift.io/order replaced\n');
    const order = await ws.ok(['get', 'is', 'order', '-o', 'jsonpath={range .metadata.managedFields[*]}{.apiVersion}/{.subresource}/{.fieldsV1}{"\\n"}{end}']);
    expect(order.trim().split('\n')).toEqual([
      'image.openshift.io/v1//{"f:metadata":{"f:labels":{"f:b":{}}}}',
      'image.openshift.io/v1/status/{"f:metadata":{"f:labels":{"f:a":{}}}}',
      'image.openshift.io/v1beta1//{"f:metadata":{"f:labels":{"f:c":{}}}}',
    ]);
  });
});
