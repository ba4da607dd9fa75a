import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';

const yaml = 'application/yaml';
const applyYaml = 'application/apply-patch+yaml';

/** An ImageStream whose spec repeats `lookupPolicy` (line 7) and carries an unknown field (line 9). */
const stream = (name: string, extra = '') => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
spec:
  lookupPolicy: {local: true}
  lookupPolicy: {local: false}
${extra}`;

/**
 * YAML bodies that repeat a key, as kube-apiserver 1.32 reads them: the last value counts (sigs.k8s.io/yaml's
 * YAMLToJSON); Strict refuses them in go-yaml's words, Warn warns per repeat, Ignore says nothing.
 */
describe('YAML bodies with repeated keys', () => {
  let api: TestApi;
  const ns = () => `${api.base}/namespaces/dupyaml`;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('create: Strict is 400 with the decoder wording (repeats before unknown fields), Warn warns per repeat, Ignore keeps the last value silently', async () => {
    const strict = await call(
      'POST',
      `${ns()}/imagestreams?fieldValidation=Strict`,
      stream('y-strict', 'extra: 1\n'),
      yaml,
    );
    expect([strict.status, strict.body.reason]).toEqual([400, 'BadRequest']);
    expect(strict.body.message).toBe(
      'ImageStream in version "v1" cannot be handled as a ImageStream: strict decoding error: yaml: unmarshal errors:\n  line 7: key "lookupPolicy" already set in map, unknown field "extra"',
    );
    expect((await call('GET', `${ns()}/imagestreams/y-strict`)).status).toBe(404);

    const warned = await call('POST', `${ns()}/imagestreams`, stream('y-warn', 'extra: 1\nextra: 2\n'), yaml);
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe(
      '299 - "line 7: key \\"lookupPolicy\\" already set in map", 299 - "line 9: key \\"extra\\" already set in map", 299 - "unknown field \\"extra\\""',
    );
    expect(warned.body.spec.lookupPolicy).toEqual({ local: false });

    const ignored = await call(
      'POST',
      `${ns()}/imagestreams?fieldValidation=Ignore`,
      stream('y-ignore'),
      yaml,
    );
    expect(ignored.status).toBe(201);
    expect(ignored.headers.get('warning')).toBeNull();
    expect(ignored.body.spec.lookupPolicy).toEqual({ local: false });
  });

  it("unknown fields of a YAML body come in the order of the JSON kube converts it to: each object's keys sorted", async () => {
    const body =
      'apiVersion: image.openshift.io/v1\nkind: ImageStream\nspec:\n  zz: 1\n  aa: 2\nmetadata:\n  name: y-order\n  foo: 1\n';
    const strict = await call('POST', `${ns()}/imagestreams?fieldValidation=Strict`, body, yaml);
    expect([strict.status, strict.body.message]).toEqual([
      400,
      'ImageStream in version "v1" cannot be handled as a ImageStream: strict decoding error: unknown field "metadata.foo", unknown field "spec.aa", unknown field "spec.zz"',
    ]);
    const warned = await call('POST', `${ns()}/imagestreams`, body, yaml);
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe(
      '299 - "unknown field \\"metadata.foo\\"", 299 - "unknown field \\"spec.aa\\"", 299 - "unknown field \\"spec.zz\\""',
    );
  });

  it('update: the same decoder, so the same answers', async () => {
    const created = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'y-put' }, spec: {} });
    const rv = created.body.metadata.resourceVersion as string;
    const body = `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: y-put\n  resourceVersion: "${rv}"\n  labels:\n    a: "1"\n    a: "2"\nspec: {}\n`;
    const strict = await call('PUT', `${ns()}/imagestreams/y-put?fieldValidation=Strict`, body, yaml);
    expect([strict.status, strict.body.message]).toEqual([
      400,
      'ImageStream in version "v1" cannot be handled as a ImageStream: strict decoding error: yaml: unmarshal errors:\n  line 8: key "a" already set in map',
    ]);
    const warned = await call('PUT', `${ns()}/imagestreams/y-put`, body, yaml);
    expect(warned.status).toBe(200);
    expect(warned.headers.get('warning')).toBe('299 - "line 8: key \\"a\\" already set in map"');
    expect(warned.body.metadata.labels).toEqual({ a: '2' });
  });

  it('server-side apply: Strict is 400 "error strict decoding YAML", Warn warns per repeat, Ignore applies the last value', async () => {
    const url = (name: string, mode?: string) =>
      `${ns()}/imagestreams/${name}?fieldManager=dup${mode ? `&fieldValidation=${mode}` : ''}`;
    const strict = await call('PATCH', url('a-strict', 'Strict'), stream('a-strict'), applyYaml);
    expect([strict.status, strict.body.reason, strict.body.message]).toEqual([
      400,
      'BadRequest',
      'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key "lookupPolicy" already set in map',
    ]);
    expect((await call('GET', `${ns()}/imagestreams/a-strict`)).status).toBe(404);

    const warned = await call(
      'PATCH',
      url('a-warn'),
      stream('a-warn', 'metadata:\n  name: a-warn\n'),
      applyYaml,
    );
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe(
      '299 - "line 7: key \\"lookupPolicy\\" already set in map", 299 - "line 9: key \\"metadata\\" already set in map"',
    );
    expect(warned.body.spec.lookupPolicy).toEqual({ local: false });

    // One line reported twice by go-yaml is one warning: kube-apiserver's recorder drops a text it already has.
    const flow = await call(
      'PATCH',
      url('a-flow'),
      'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: a-flow, labels: {a: "1", a: "2", a: "3"}}\n',
      applyYaml,
    );
    expect(flow.status).toBe(201);
    expect(flow.headers.get('warning')).toBe('299 - "line 3: key \\"a\\" already set in map"');
    expect(flow.body.metadata.labels).toEqual({ a: '3' });
    const flowStrict = await call(
      'PATCH',
      url('a-flow', 'Strict'),
      'metadata: {name: a-flow, labels: {a: "1", a: "2", a: "3"}}\n',
      applyYaml,
    );
    expect(flowStrict.body.message).toBe(
      'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 1: key "a" already set in map\n  line 1: key "a" already set in map',
    );

    const ignored = await call('PATCH', url('a-ignore', 'Ignore'), stream('a-ignore'), applyYaml);
    expect(ignored.status).toBe(201);
    expect(ignored.headers.get('warning')).toBeNull();
    expect(ignored.body.spec.lookupPolicy).toEqual({ local: false });
  });

  it('a secret-bearing kind names the repeated key and its line, never a value', async () => {
    const secrets = `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/dupyaml/triggersecrets`;
    const value = Buffer.from('a'.repeat(32)).toString('base64');
    const body = `apiVersion: triggers.imagestreamd.io/v1\nkind: TriggerSecret\nmetadata:\n  name: s\ndata:\n  key: ${value}\n  key: ${value}\n`;
    const strict = await call('POST', `${secrets}?fieldValidation=Strict`, body, yaml);
    expect([strict.status, strict.body.message]).toEqual([
      400,
      'TriggerSecret in version "v1" cannot be handled as a TriggerSecret: strict decoding error: yaml: unmarshal errors:\n  line 7: key "key" already set in map',
    ]);
    const core = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2\n  token: hunter3\n`;
    const coreStrict = await call(
      'POST',
      `${api.url}/api/v1/namespaces/dupyaml/secrets?fieldValidation=Strict`,
      core,
      yaml,
    );
    expect([coreStrict.status, coreStrict.body.message]).toEqual([
      400,
      'Secret in version "v1" cannot be handled as a Secret: strict decoding error: yaml: unmarshal errors:\n  line 7: key "token" already set in map',
    ]);
    expect(JSON.stringify(coreStrict.body)).not.toContain('hunter');
  });

  it('a DELETE body (DeleteOptions, decoded without strictness) keeps the last value silently', async () => {
    await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'y-del' }, spec: {} });
    const del = await call(
      'DELETE',
      `${ns()}/imagestreams/y-del`,
      'kind: DeleteOptions\napiVersion: v1\npropagationPolicy: Orphan\npropagationPolicy: Background\n',
      yaml,
    );
    expect(del.status).toBe(200);
    expect(del.headers.get('warning')).toBeNull();
  });

  (kubectlFound ? it : it.skip)(
    'kubectl create -f (fieldValidation=Strict) with a file that repeats a key: kubectl reads it to JSON itself, the last value counts',
    async () => {
      const kubectl = kubectlWorkspace(api.url, 'dupyaml');
      try {
        const file = kubectl.write('dup.yaml', stream('k-create'));
        const run = await kubectl.run(['create', '-f', file, '-v=8']);
        expect(run.stderr).toContain('fieldValidation=Strict');
        // The POST carries JSON that kubectl converted from the file: the repeat is gone before it reaches the server.
        expect(run.stderr).toContain('\\"spec\\":{\\"lookupPolicy\\":{\\"local\\":false}}');
        expect(run.code).toBe(0);
        expect((await call('GET', `${ns()}/imagestreams/k-create`)).body.spec.lookupPolicy).toEqual({
          local: false,
        });
      } finally {
        kubectl.remove();
      }
    },
  );
});
