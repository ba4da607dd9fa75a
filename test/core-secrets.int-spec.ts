import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAccessPolicy } from '@app/config';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace, type KubectlWorkspace } from './support/kubectl';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** A dockerconfigjson value for one registry, as `kubectl create secret docker-registry` writes it. */
const dockerConfig = (server: string, username: string, password: string) =>
  b64(JSON.stringify({ auths: { [server]: { username, password, auth: b64(`${username}:${password}`) } } }));

/**
 * core/v1 Secrets (/api/v1/namespaces/{ns}/secrets): CRUD, patches, kube-apiserver's validation
 * wording, and the project rule that lists, watches, Tables and deletecollection answers never carry
 * data while a GET of one Secret does; imagestreams/{name}/secrets lists the pull secrets.
 */
describe('core/v1 Secrets', () => {
  let api: TestApi;
  const password = 'pa55-w0rd-core-secrets';

  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json', accept?: string) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': contentType }), ...(accept ? { accept } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
  };
  const secrets = (ns: string) => `/api/v1/namespaces/${ns}/secrets`;

  beforeAll(async () => {
    api = await startTestApi();
  }, 60_000);
  afterAll(async () => api?.close());

  it('discovery lists secrets in /api/v1 (namespaced, every verb)', async () => {
    const res = await call('GET', '/api/v1');
    const secret = res.body['resources'].find((r: { name: string }) => r.name === 'secrets');
    expect(secret).toMatchObject({ name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret' });
    expect([...secret.verbs].sort()).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  });

  it('create defaults type Opaque, merges stringData into data; GET has the data, list/watch/Table/deletecollection do not', async () => {
    const created = await call('POST', secrets('s1'), { metadata: { name: 'plain' }, data: { a: b64('one') }, stringData: { b: password } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'Secret', apiVersion: 'v1', type: 'Opaque', data: { a: b64('one'), b: b64(password) } });
    expect(created.body['stringData']).toBeUndefined();
    // managedFields name the keys, never a value.
    expect(JSON.stringify(created.body['metadata']['managedFields'])).not.toContain(b64(password));
    // data is a map: its creator owns it as such (`.`), as kube-apiserver records `f:data: {.: {}, …}`.
    expect(created.body['metadata']['managedFields'][0]['fieldsV1']['f:data']['.']).toEqual({});

    const got = await call('GET', `${secrets('s1')}/plain`);
    expect(got.body['data']).toEqual({ a: b64('one'), b: b64(password) });

    const listed = await call('GET', secrets('s1'));
    expect(listed.body['kind']).toBe('SecretList');
    expect(listed.body['items']).toHaveLength(1);
    expect(listed.body['items'][0]).toMatchObject({ metadata: { name: 'plain' }, type: 'Opaque' });
    expect(listed.body['items'][0].data).toBeUndefined();
    expect(listed.text).not.toContain(b64(password));
    expect((await call('GET', '/api/v1/secrets')).text).not.toContain(b64(password));

    const table = await call('GET', `${secrets('s1')}?includeObject=Object`, undefined, undefined, TABLE);
    expect(table.body['columnDefinitions'].map((c: { name: string }) => c.name)).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(table.body['rows'][0].cells.slice(0, 3)).toEqual(['plain', 'Opaque', 2]);
    expect(table.text).not.toContain(b64(password));
    const oneTable = await call('GET', `${secrets('s1')}/plain?includeObject=Object`, undefined, undefined, TABLE);
    expect(oneTable.body['rows'][0].cells.slice(0, 3)).toEqual(['plain', 'Opaque', 2]);
    expect(oneTable.text).not.toContain(b64(password));

    const watch = await call('GET', `${secrets('s1')}?watch=true&resourceVersion=0&timeoutSeconds=1`);
    expect(watch.text).toContain('"ADDED"');
    expect(watch.text).toContain('"plain"');
    expect(watch.text).not.toContain(b64(password));

    // A change then a watch from before it: the MODIFIED event has no data either.
    const rv = created.body['metadata']['resourceVersion'];
    expect((await call('PATCH', `${secrets('s1')}/plain`, { stringData: { c: `${password}-2` } }, 'application/merge-patch+json')).status).toBe(200);
    const watched = await call('GET', `${secrets('s1')}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    expect(watched.text).toContain('"MODIFIED"');
    expect(watched.text).not.toContain(b64(`${password}-2`));

    const deleted = await call('DELETE', secrets('s1'));
    expect(deleted.status).toBe(200);
    expect(deleted.body['kind']).toBe('SecretList');
    expect(deleted.body['items']).toHaveLength(1);
    expect(deleted.text).not.toContain(b64(password));
    expect((await call('GET', `${secrets('s1')}/plain`)).status).toBe(404);
  });

  it('update, merge/json/strategic patches and delete', async () => {
    const ns = secrets('s2');
    expect((await call('POST', ns, { metadata: { name: 'x' }, data: { k: b64('v') } })).status).toBe(201);
    const put = await call('PUT', `${ns}/x`, { metadata: { name: 'x' }, data: { k: b64('w') } });
    expect(put.status).toBe(200);
    expect(put.body['data']).toEqual({ k: b64('w') });
    const json = await call('PATCH', `${ns}/x`, [{ op: 'add', path: '/data/j', value: b64('j') }], 'application/json-patch+json');
    expect(json.body['data']).toEqual({ k: b64('w'), j: b64('j') });
    const strategic = await call('PATCH', `${ns}/x`, { data: { s: b64('s') } }, 'application/strategic-merge-patch+json');
    expect(strategic.body['data']).toEqual({ k: b64('w'), j: b64('j'), s: b64('s') });
    const merge = await call('PATCH', `${ns}/x`, { data: { j: null } }, 'application/merge-patch+json');
    expect(merge.body['data']).toEqual({ k: b64('w'), s: b64('s') });
    const gone = await call('DELETE', `${ns}/x`);
    expect(gone.status).toBe(200);
    expect(gone.text).not.toContain(b64('w'));
    expect((await call('GET', `${ns}/x`)).status).toBe(404);
  });

  // kube-apiserver applies a JSON patch to the object's JSON, then decodes the result into the
  // typed Secret: an undeclared field is dropped (a Warning; Strict refuses it) and a value of the
  // wrong JSON type is 422 at `patch`. A copy or move is no way round either: none may leave a
  // data value where lists, watches and Tables serve it.
  it('a JSON patch copy or move puts no data value into an undeclared or wrongly typed field', async () => {
    const ns = secrets('copied');
    const value = b64(password);
    expect((await call('POST', ns, { metadata: { name: 'x' }, data: { a: value, b: b64('b') } })).status).toBe(201);
    const patch = (ops: object[], query = '') => call('PATCH', `${ns}/x${query}`, ops, 'application/json-patch+json');
    for (const path of ['/zz', '/metadata/zz']) {
      const copied = await patch([{ op: 'copy', from: '/data/a', path }]);
      expect(copied.status).toBe(200);
      expect(copied.body['zz']).toBeUndefined();
      expect(copied.body['metadata']['zz']).toBeUndefined();
      const strict = await patch([{ op: 'copy', from: '/data/a', path }], '?fieldValidation=Strict');
      expect(strict.status).toBe(400);
      expect(strict.body['message']).toBe(`strict decoding error: unknown field "${path.slice(1).replace('/', '.')}"`);
    }
    // A move to an undeclared field removes the source, as the decoder drops the destination.
    const moved = await patch([{ op: 'move', from: '/data/b', path: '/elsewhere' }]);
    expect(moved.status).toBe(200);
    expect(moved.body['data']).toEqual({ a: value });
    expect(moved.body['elsewhere']).toBeUndefined();
    const typed = await patch([{ op: 'copy', from: '/data/a', path: '/immutable' }]);
    expect(typed.status).toBe(422);
    expect(typed.body['message']).toBe(' "" is invalid: patch: Invalid value: "<redacted>": json: cannot unmarshal string into Go struct field Secret.immutable of type bool');
    const listed = await call('GET', ns);
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(value);
  });

  it('validation as kube-apiserver words it', async () => {
    const ns = secrets('s3');
    const bad = await call('POST', ns, { metadata: { name: 'bad' }, data: { 'a/b': b64('x'), '..k': b64('y') } });
    expect(bad.status).toBe(422);
    expect(bad.body['message']).toContain(
      `Secret "bad" is invalid: [data[..k]: Invalid value: "..k": must not start with '..', data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')]`,
    );
    const missing = await call('POST', ns, { metadata: { name: 'dc' }, type: 'kubernetes.io/dockerconfigjson', data: { other: b64('{}') } });
    expect(missing.status).toBe(422);
    expect(missing.body['message']).toBe('Secret "dc" is invalid: data[.dockerconfigjson]: Required value');
    const cfg = await call('POST', ns, { metadata: { name: 'cfg' }, type: 'kubernetes.io/dockercfg', data: {} });
    expect(cfg.body['message']).toBe('Secret "cfg" is invalid: data[.dockercfg]: Required value');
    const notJson = await call('POST', ns, { metadata: { name: 'dc' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(`{"auths": ${password}`) } });
    expect(notJson.status).toBe(422);
    expect(notJson.body['message']).toBe(`Secret "dc" is invalid: data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'p' looking for beginning of value`);
    expect(notJson.text).not.toContain(password);
    // A value that is not base64 is refused by the decoder, as kube-apiserver's, without quoting it.
    const notBase64 = await call('POST', ns, { metadata: { name: 'raw' }, data: { a: `${password}!` } });
    expect(notBase64.status).toBe(400);
    expect(notBase64.text).toContain('illegal base64 data at input byte');
    expect(notBase64.text).not.toContain(password);
    const big = await call('POST', ns, { metadata: { name: 'big' }, stringData: { a: 'x'.repeat(1024 * 1024 + 1) } });
    expect(big.status).toBe(422);
    expect(big.body['message']).toBe('Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes');

    expect((await call('POST', ns, { metadata: { name: 'typed' }, data: { a: b64('1') } })).status).toBe(201);
    const retyped = await call('PATCH', `${ns}/typed`, { type: 'kubernetes.io/tls' }, 'application/merge-patch+json');
    expect(retyped.status).toBe(422);
    expect(retyped.body['message']).toContain('type: Invalid value: "kubernetes.io/tls": field is immutable');

    expect((await call('POST', ns, { metadata: { name: 'frozen' }, immutable: true, data: { a: b64('1') } })).status).toBe(201);
    const changed = await call('PATCH', `${ns}/frozen`, { data: { a: b64('2') } }, 'application/merge-patch+json');
    expect(changed.status).toBe(422);
    expect(changed.body['message']).toBe('Secret "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    const thawed = await call('PATCH', `${ns}/frozen`, { immutable: false }, 'application/merge-patch+json');
    expect(thawed.body['message']).toBe('Secret "frozen" is invalid: immutable: Forbidden: field is immutable when `immutable` is set');
    expect((await call('PATCH', `${ns}/frozen`, { metadata: { labels: { ok: 'yes' } } }, 'application/merge-patch+json')).status).toBe(200);
  });

  it('names, generateName, ssh-auth and tls keys are validated as ValidateSecret; data is served as kube re-encodes it', async () => {
    const ns = secrets('s5');
    const upper = await call('POST', ns, { metadata: { name: 'Bad' }, data: { a: b64('x') } });
    expect(upper.status).toBe(422);
    expect(upper.body['message']).toContain(`Secret "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain must consist of`);
    const generated = await call('POST', ns, { metadata: { generateName: 'G_' } });
    expect(generated.status).toBe(422);
    expect(generated.body['details']['causes'].map((c: { field: string }) => c.field)).toEqual(['metadata.generateName', 'metadata.name']);
    expect((await call('POST', ns, { metadata: { generateName: 'gen-' } })).status).toBe(201);
    expect((await call('GET', ns)).body['items'].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([expect.stringMatching(/^gen-[a-z0-9]{5}$/)]);

    // Core ValidateObjectMeta: a finalizer without a domain must be one of the standard ones.
    const held = await call('POST', ns, { metadata: { name: 'held', finalizers: ['example.com/ok', 'hold'] } });
    expect([held.status, held.body['message']]).toEqual([
      422,
      'Secret "held" is invalid: metadata.finalizers[1]: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified',
    ]);
    expect((await call('GET', `${ns}/held`)).status).toBe(404);
    // A delete that a finalizer holds, or a dry run, answers the Secret as stored, data included, as kube's does.
    expect((await call('POST', ns, { metadata: { name: 'kept', finalizers: ['example.com/hold'] }, data: { k: b64('v') } })).status).toBe(201);
    const dry = await call('DELETE', `${ns}/kept?dryRun=All`);
    expect([dry.status, dry.body['data']]).toEqual([200, { k: b64('v') }]);
    expect((await call('GET', `${ns}/kept`)).body['metadata']['deletionTimestamp']).toBeUndefined();
    const kept = await call('DELETE', `${ns}/kept`);
    expect([kept.status, kept.body['kind'], kept.body['data']]).toEqual([200, 'Secret', { k: b64('v') }]);
    expect(kept.body['metadata']['deletionTimestamp']).toEqual(expect.any(String));
    const released = await call('PATCH', `${ns}/kept`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect([released.status, released.body['data']]).toEqual([200, { k: b64('v') }]);
    expect((await call('GET', `${ns}/kept`)).status).toBe(404);

    const ssh = await call('POST', ns, { metadata: { name: 'ssh' }, type: 'kubernetes.io/ssh-auth', data: { 'ssh-privatekey': '' } });
    expect(ssh.status).toBe(422);
    expect(ssh.body['message']).toBe('Secret "ssh" is invalid: data[ssh-privatekey]: Required value');
    const tls = await call('POST', ns, { metadata: { name: 'tls' }, type: 'kubernetes.io/tls' });
    expect(tls.body['message']).toBe('Secret "tls" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]');

    // Go decodes []byte ignoring line breaks and spare padding bits, and encodes it again.
    const encoded = await call('POST', ns, { metadata: { name: 'enc' }, data: { a: 'eB==', b: 'eA==\r\n' }, stringData: { c: null } });
    expect(encoded.status).toBe(201);
    expect(encoded.body['data']).toEqual({ a: 'eA==', b: 'eA==', c: '' });
    // A null data value is a nil []byte: stored and served as the empty value, as kube-apiserver's storage round trip leaves it.
    const nulled = await call('POST', ns, { metadata: { name: 'nulled' }, data: { a: null, b: b64('x') } });
    expect([nulled.status, nulled.body['data']]).toEqual([201, { a: '', b: b64('x') }]);
    expect((await call('GET', `${ns}/nulled`)).body['data']).toEqual({ a: '', b: b64('x') });
    expect((await call('POST', ns, { metadata: { name: 'frozen' }, immutable: true, data: { a: 'eB==' } })).status).toBe(201);
    // The same bytes written the canonical way are no change of an immutable Secret.
    expect((await call('PATCH', `${ns}/frozen`, { data: { a: 'eA==' } }, 'application/merge-patch+json')).status).toBe(200);
  });

  it('a watched Table counts the keys of each state (DATA as kube prints it); no watch event carries data, DELETED neither', async () => {
    const ns = secrets('s7');
    // A watch from this version sees the changes after it (a version "0" would mean "now").
    const from = (await call('POST', secrets('s7-before'), { metadata: { name: 'before' } })).body['metadata']['resourceVersion'];
    expect((await call('POST', ns, { metadata: { name: 'wx' }, stringData: { k: password } })).status).toBe(201);
    expect((await call('PATCH', `${ns}/wx`, { stringData: { k2: password } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await call('DELETE', `${ns}/wx`)).status).toBe(200);
    const events = async (accept?: string) => {
      const res = await fetch(`${api.url}${ns}?watch=true&resourceVersion=${from}&timeoutSeconds=1`, { headers: accept ? { accept } : {} });
      const text = await res.text();
      expect(text).not.toContain(b64(password));
      return text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { type: string; object: Record<string, any> });
    };

    const table = await events(TABLE);
    expect(table.map((e) => [e.type, e.object['rows'][0].cells[2]])).toEqual([
      ['ADDED', 1],
      ['MODIFIED', 2],
      ['DELETED', 2],
    ]);
    const plain = await events();
    expect(plain.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    for (const e of plain) expect(e.object['data']).toBeUndefined();
  });

  it('a kubernetes.io/tls Secret whose pair crypto/tls would refuse is stored with kube-apiserver\'s Warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-pair-'));
    try {
      const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'a.key', '-out', 'a.crt', '-days', '1', '-subj', '/CN=a.example');
      openssl('genrsa', '-out', 'b.key', '2048');
      const file = (name: string) => readFileSync(join(dir, name)).toString('base64');
      const post = async (name: string, crt: string, key: string) => {
        const res = await fetch(`${api.url}${secrets('s8')}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ metadata: { name }, type: 'kubernetes.io/tls', data: { 'tls.crt': crt, 'tls.key': key } }),
        });
        expect(res.status).toBe(201);
        return res.headers.get('warning');
      };
      expect(await post('good', file('a.crt'), file('a.key'))).toBeNull();
      expect(await post('mismatch', file('a.crt'), file('b.key'))).toBe('299 - "tls: private key does not match public key"');
      expect(await post('nopem', 'eA==', 'eA==')).toBe('299 - "tls: failed to find any PEM data in certificate input"');
      expect(await post('nokey', file('a.crt'), 'eA==')).toBe('299 - "tls: failed to find any PEM data in key input"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imagestreams/{name}/secrets pages as the Secret list it filters (continue token kept on a page filtered to nothing)', async () => {
    const ns = secrets('s6');
    for (const name of ['a-opaque', 'b-opaque', 'c-pull']) {
      const pull = name.endsWith('pull');
      const body = pull ? { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': dockerConfig('r.example.com', 'u', 'p') } } : { data: { a: b64('1') } };
      expect((await call('POST', ns, { metadata: { name }, ...body })).status).toBe(201);
    }
    const path = '/apis/image.openshift.io/v1/namespaces/s6/imagestreams/x/secrets';
    const first = await call('GET', `${path}?limit=2`);
    expect(first.body['items']).toEqual([]);
    expect(first.body['metadata']['continue']).toEqual(expect.any(String));
    const second = await call('GET', `${path}?limit=2&continue=${encodeURIComponent(first.body['metadata']['continue'])}`);
    expect(second.body['items'].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['c-pull']);
  });

  it('field selector on type; imagestreams/{name}/secrets lists the pull secrets without data', async () => {
    const ns = secrets('s4');
    const auth = dockerConfig('registry.example.com', 'robot', password);
    expect((await call('POST', ns, { metadata: { name: 'pull' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': auth } })).status).toBe(201);
    expect((await call('POST', ns, { metadata: { name: 'other' }, data: { a: b64('1') } })).status).toBe(201);
    const excluded = { metadata: { name: 'skipped', annotations: { 'openshift.io/image.excludeSecret': 'true' } }, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64('{}') } };
    expect((await call('POST', ns, excluded)).status).toBe(201);

    const byType = await call('GET', `${ns}?fieldSelector=type%3Dkubernetes.io%2Fdockerconfigjson`);
    expect(byType.body['items'].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['pull']);

    const pull = await call('GET', '/apis/image.openshift.io/v1/namespaces/s4/imagestreams/anything/secrets');
    expect(pull.status).toBe(200);
    expect(pull.body['kind']).toBe('SecretList');
    expect(pull.body['items'].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['pull']);
    expect(pull.body['items'][0]).toMatchObject({ type: 'kubernetes.io/dockerconfigjson' });
    expect(pull.body['items'][0].data).toBeUndefined();
    expect(pull.text).not.toContain(auth);
    expect(pull.text).not.toContain(password);
  });

  describe('with kubectl', () => {
    let k: KubectlWorkspace;
    beforeAll(() => {
      k = kubectlWorkspace(api.url, 'ks');
    });
    afterAll(() => k?.remove());
    if (!kubectlFound) it.skip('kubectl is not on PATH: kubectl create secret docker-registry, get secrets, get -o yaml', () => undefined);
    (kubectlFound ? it : it.skip)(
      'kubectl create secret docker-registry (protobuf), get secrets, get -o yaml, delete',
      async () => {
        expect(await k.ok(['create', 'secret', 'docker-registry', 'regcred', '--docker-server=registry.example.com:5000', '--docker-username=robot', `--docker-password=${password}`])).toContain(
          'secret/regcred created',
        );
        expect(await k.ok(['get', 'secrets'])).toMatch(/regcred\s+kubernetes.io\/dockerconfigjson\s+1\s+\S+/);
        const yaml = await k.ok(['get', 'secret', 'regcred', '-o', 'jsonpath={.data.\\.dockerconfigjson}']);
        expect(JSON.parse(Buffer.from(yaml, 'base64').toString('utf8'))).toEqual({
          auths: { 'registry.example.com:5000': { username: 'robot', password, auth: b64(`robot:${password}`) } },
        });
        expect(await k.ok(['get', 'secrets', '-o', 'yaml'])).not.toContain(b64(`robot:${password}`));
        expect(await k.ok(['delete', 'secret', 'regcred'])).toContain('secret "regcred" deleted');
      },
      60_000,
    );
    (kubectlFound ? it : it.skip)(
      'kubectl create secret generic, apply (client- and server-side), edit',
      async () => {
        expect(await k.ok(['create', 'secret', 'generic', 'gen', `--from-literal=pw=${password}`])).toContain('secret/gen created');
        expect(await k.ok(['get', 'secret', 'gen', '-o', 'jsonpath={.data.pw}'])).toBe(b64(password));
        const manifest = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: applied}\nstringData: {token: ${value}}\n`;
        expect(await k.ok(['apply', '-f', '-'], manifest('one'))).toContain('secret/applied created');
        expect(await k.ok(['apply', '-f', '-'], manifest('two'))).toContain('secret/applied configured');
        expect(await k.ok(['get', 'secret', 'applied', '-o', 'jsonpath={.data.token}'])).toBe(b64('two'));
        // The last-applied annotation holds the value on the object (as kube); lists redact it.
        expect(await k.ok(['get', 'secrets', '-o', 'yaml'])).not.toContain('two');
        const ssa = `apiVersion: v1\nkind: Secret\nmetadata: {name: ssa}\ndata: {k: ${b64('ssa-value')}}\n`;
        expect(await k.ok(['apply', '--server-side', '-f', '-'], ssa)).toContain('secret/ssa serverside-applied');
        expect(await k.ok(['get', 'secret', 'ssa', '-o', 'jsonpath={.data.k}'])).toBe(b64('ssa-value'));
        // kubectl edit: the editor sees the data (a GET) and its change is stored.
        const edited = await k.run(['edit', 'secret', 'gen'], undefined, { KUBE_EDITOR: `sed -i s/${b64(password)}/${b64('edited')}/` });
        expect(edited.stderr).toBe('');
        expect(edited.stdout).toContain('secret/gen edited');
        expect(await k.ok(['get', 'secret', 'gen', '-o', 'jsonpath={.data.pw}'])).toBe(b64('edited'));
      },
      60_000,
    );
  });

  describe('with API_AUTHORIZATION=Policy', () => {
    let secured: TestApi;
    const as = async (user: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${secured.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${user}-token`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    beforeAll(async () => {
      const policy = parseAccessPolicy(`
users:
  - {name: carol, password: carol-pass, tokens: [carol-token]}
  - {name: alice, password: alice-pass, tokens: [alice-token]}
grants:
  - {subjects: [carol], namespaces: [p], roles: [view]}
  - {subjects: [alice], namespaces: [p], roles: [edit]}
`);
      secured = await startTestApi({ accessPolicy: policy, apiAuthentication: true, apiAuthorization: 'Policy' });
    }, 60_000);
    afterAll(async () => secured?.close());

    it('edit reads and writes Secrets; view reads none of them, nor imagestreams/secrets', async () => {
      expect((await as('alice', 'POST', secrets('p'), { metadata: { name: 'x' }, data: { a: b64('1') } })).status).toBe(201);
      expect((await as('alice', 'GET', `${secrets('p')}/x`)).body['data']).toEqual({ a: b64('1') });
      const denied = await as('carol', 'GET', `${secrets('p')}/x`);
      expect(denied.status).toBe(403);
      expect(denied.body['message']).toBe('secrets "x" is forbidden: User "carol" cannot get resource "secrets" in API group "" in the namespace "p"');
      expect((await as('carol', 'GET', secrets('p'))).status).toBe(403);
      expect((await as('carol', 'GET', '/apis/image.openshift.io/v1/namespaces/p/imagestreams/x/secrets')).status).toBe(403);
      expect((await as('alice', 'GET', '/apis/image.openshift.io/v1/namespaces/p/imagestreams/x/secrets')).status).toBe(200);
    });
  });
});
