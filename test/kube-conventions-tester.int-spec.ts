import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * Answers checked against kube-apiserver's handlers and registry store (an independent tester's
 * findings): each case names the upstream function whose behaviour it pins.
 */
describe('kube-apiserver conventions (tester findings)', () => {
  let api: TestApi;
  const ns = 'kct';
  const streams = () => `${api.base}/namespaces/${ns}/imagestreams`;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  // registry/generic/registry/store.go Update: GuaranteedUpdate reads the object first; a missing
  // one is NotFound (no create on update for a subresource) and a uid precondition fails (409)
  // before the request's resourceVersion is looked at (422 only for an existing object).
  it('PUT imagestreams/{name}/status: a missing stream is 404 and another uid 409 before a missing resourceVersion is 422', async () => {
    const missing = await call('PUT', `${streams()}/nostream/status`, { metadata: { name: 'nostream' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'imagestreams.image.openshift.io "nostream" not found' });

    const created = await call('POST', streams(), { metadata: { name: 'st1' } });
    expect(created.status).toBe(201);
    const otherUid = await call('PUT', `${streams()}/st1/status`, { metadata: { name: 'st1', uid: '00000000-0000-0000-0000-000000000001' } });
    expect(otherUid.status).toBe(409);
    expect(otherUid.body.message).toContain('Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000001');

    const noVersion = await call('PUT', `${streams()}/st1/status`, { metadata: { name: 'st1' } });
    expect(noVersion.status).toBe(422);
    expect(noVersion.body.message).toBe('imagestreams.image.openshift.io "st1" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
  });
  // endpoints/handlers/response.go asTable sets a row's object to nil for includeObject=None, and
  // metav1.TableRow's Object (a runtime.RawExtension, `json:"object,omitempty"`) marshals that as
  // null: omitempty never drops a struct, and RawExtension.MarshalJSON writes "null".
  it('Table rows carry "object": null with includeObject=None', async () => {
    await call('POST', streams(), { metadata: { name: 'tbl1' } });
    const res = await fetch(`${streams()}?includeObject=None`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    expect(res.status).toBe(200);
    const table = (await res.json()) as { rows: Record<string, unknown>[] };
    expect(table.rows.length).toBeGreaterThan(0);
    for (const row of table.rows) {
      expect(Object.keys(row)).toContain('object');
      expect(row['object']).toBeNull();
    }
  });
  // handlers/delete.go DeleteResource decodes a body-less DELETE's query with the parameter codec:
  // Convert_url_Values_To_v1_DeleteOptions reads gracePeriodSeconds with
  // runtime.Convert_Slice_string_To_Pointer_int64 (strconv.ParseInt), whose error is the 400's
  // message; a body's value is decoded by encoding/json, which refuses a fraction for an int64.
  it('DELETE gracePeriodSeconds that does not decode is 400 in Go\'s words, nothing deleted', async () => {
    await call('POST', streams(), { metadata: { name: 'gr1' } });
    const query = await call('DELETE', `${streams()}/gr1?gracePeriodSeconds=abc`);
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'strconv.ParseInt: parsing "abc": invalid syntax' });
    const fraction = await call('DELETE', `${streams()}/gr1`, '{"gracePeriodSeconds":1.5}');
    expect(fraction.status).toBe(400);
    expect(fraction.body.message).toBe('json: cannot unmarshal number 1.5 into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
    expect((await call('GET', `${streams()}/gr1`)).status).toBe(200);
    expect((await call('DELETE', `${streams()}/gr1?gracePeriodSeconds=0`)).status).toBe(200);
  });
  // handlers/patch.go applyPatcher decodes the configuration with sigs.k8s.io/yaml's Unmarshal
  // into a map[string]interface{} ("error decoding YAML: %v"); that Unmarshal wraps
  // encoding/json's type error as "error unmarshaling JSON: while decoding JSON: …".
  it('server-side apply of a list or scalar is 400 in the apply patcher\'s words', async () => {
    const url = `${streams()}/ap-list?fieldManager=tester`;
    for (const [body, type] of [['[]', 'array'], ['5', 'number'], ['abc', 'string'], ['true', 'bool']]) {
      const res = await call('PATCH', url, body, 'application/apply-patch+yaml');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        kind: 'Status',
        reason: 'BadRequest',
        message: `error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${type} into Go value of type map[string]interface {}`,
      });
    }
    expect((await call('GET', `${streams()}/ap-list`)).status).toBe(404);
  });
});
