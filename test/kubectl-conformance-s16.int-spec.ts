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
});
