import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';

/**
 * Input a decoder or Postgres cannot take gets a 4xx Status and changes nothing (never a 5xx):
 * found by throwing malformed bodies, names and query values at every endpoint.
 */

/** The Go type kube-apiserver's decoder reads a body into to find its kind, as its errors print it. */
const kindProbe = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

describe('malformed input is a 4xx, never a 5xx', () => {
  let api: TestApi;
  const ns = () => `${api.base}/namespaces/bad`;
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  beforeAll(async () => {
    api = await startTestApi();
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
  });
  afterAll(async () => api.close());

  it('strings: NUL is refused (400), lone surrogates are stored as U+FFFD as Go decodes them', async () => {
    const nul = await call('POST', `${ns()}/imagestreams`, '{"metadata":{"name":"nul","annotations":{"c":"a\\u0000b"}}}');
    expect([nul.status, nul.body.message]).toEqual([400, 'the request body holds a NUL character (\\u0000), which cannot be stored']);
    expect((await call('GET', `${ns()}/imagestreams/nul`)).status).toBe(404);
    const lone = await call('POST', `${ns()}/imagestreams`, '{"metadata":{"name":"lone","annotations":{"c":"a\\ud800b"}}}');
    expect(lone.status).toBe(201);
    expect((await call('GET', `${ns()}/imagestreams/lone`)).body.metadata.annotations).toEqual({ c: 'a\uFFFDb' });
    // In a URL: Postgres refuses the byte; the request is at fault.
    expect((await call('GET', `${ns()}/imagestreams/%00`)).status).toBe(400);
    expect((await call('GET', `${ns()}/imagestreams?fieldSelector=metadata.name%3D%00`)).status).toBe(400);
  });

  it('URLs Fastify cannot decode still get a Status body', async () => {
    const bad = await call('GET', `${ns()}/imagestreams/%FF`);
    expect([bad.status, bad.body.kind, bad.body.reason, bad.headers.get('content-type')]).toEqual([400, 'Status', 'BadRequest', 'application/json']);
    // A long name is looked up like any other, as kube-apiserver does (no 414 from the router).
    for (const path of [`imagestreams/${'a'.repeat(2000)}`, `imagestreamtags/${'a'.repeat(2000)}:x`]) {
      const long = await call('GET', `${ns()}/${path}`);
      expect([long.status, long.body.kind, long.body.reason, long.headers.get('content-type')]).toEqual([404, 'Status', 'NotFound', 'application/json']);
    }
  });

  it('a body over MAX_REQUEST_BODY_BYTES is 413 RequestEntityTooLarge, worded as kube-apiserver words it', async () => {
    const limit = 4 * 1024 * 1024; // the default, which testConfig keeps
    const big = JSON.stringify({ metadata: { name: 'big', annotations: { a: 'x'.repeat(limit) } } });
    const expected = [413, 'Status', 'Failure', 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`];
    // Announced by Content-Length (refused before the body is read) ...
    const sized = await call('POST', `${ns()}/imagestreams`, big);
    expect([sized.status, sized.body.kind, sized.body.status, sized.body.reason, sized.body.message]).toEqual(expected);
    // ... and sent chunked (refused once the limit is passed), on a patch too.
    const chunked = await fetch(`${ns()}/imagestreams/app`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    });
    const body = (await chunked.json()) as { kind: string; status: string; reason: string; message: string };
    expect([chunked.status, body.kind, body.status, body.reason, body.message]).toEqual(expected);
    expect((await call('GET', `${ns()}/imagestreams/big`)).status).toBe(404);
  });

  it('nesting deeper than the decoder allows is 400', async () => {
    const deep = `{"metadata":{"name":"deep"},"x":${'['.repeat(3000)}${']'.repeat(3000)}}`;
    const res = await call('POST', `${api.base}/images`, deep);
    expect([res.status, res.body.message]).toEqual([400, 'the request body is nested more than 1000 levels deep']);
  });

  it('an unterminated body nested deeper than the stack holds is 400 (JSON.parse\'s wording), never a 5xx', async () => {
    // The Go-worded syntax error comes from a scanner that recurses per level; a million open
    // brackets overflowed it (500) before.
    const res = await call('POST', `${api.base}/images`, `{"metadata":{"name":"deep"},"x":${'['.repeat(1_000_000)}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^the request body is not valid JSON: /);
    expect((await call('GET', `${api.base}/images/deep`)).status).toBe(404);
  });

  it('a YAML alias bomb (a few hundred bytes that expand to ten million values) is 400 at once and creates nothing', async () => {
    const lines = ['apiVersion: image.openshift.io/v1', 'kind: ImageStream', 'metadata: {name: bomb}', 'x:', '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 6; i++) lines.push(`  a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const started = Date.now();
    const apply = await call('PATCH', `${ns()}/imagestreams/bomb?fieldManager=t`, lines.join('\n'), 'application/apply-patch+yaml');
    const create = await call('POST', `${ns()}/imagestreams`, lines.join('\n'), 'application/yaml');
    for (const res of [apply, create]) expect([res.status, res.body.message]).toEqual([400, 'the request body is not valid YAML: yaml: document contains excessive aliasing']);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await call('GET', `${ns()}/imagestreams/bomb`)).status).toBe(404);
  });

  it('JSON patches: more than 10000 operations is 413; copies that keep doubling a value are 422 at the copy limit; nothing changes', async () => {
    const path = `${ns()}/imagestreams/app`;
    const before = (await call('GET', path)).body;
    const many = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata/name', value: 'app' }));
    const tooMany = await call('PATCH', path, many, 'application/json-patch+json');
    expect([tooMany.status, tooMany.body.reason, tooMany.body.message]).toEqual([413, 'RequestEntityTooLarge', 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001']);
    const doubling = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/metadata/annotations', path: `/metadata/annotations/k${i}` }));
    const grown = await call('PATCH', path, [{ op: 'add', path: '/metadata/annotations', value: { a: 'x'.repeat(1000) } }, ...doubling], 'application/json-patch+json');
    expect([grown.status, grown.body.reason]).toEqual([422, 'Invalid']);
    // kube-apiserver's generic 422 (NewGenericServerResponse) names no reason.
    expect(grown.body.message).toBe('the server rejected our request due to an error in our request');
    expect((await call('GET', path)).body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('null list items decode as empty items (validation names what they lack); wrongly typed metadata is a decode error', async () => {
    const tags = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'nulls' }, spec: { tags: [null] } });
    expect([tags.status, tags.body.details.causes[0].field]).toEqual([422, 'spec.tags[0].name']);
    const sigs = await call('POST', `${api.base}/images`, { metadata: { name: digest('b') }, dockerImageReference: `q/r@${digest('b')}`, signatures: [null] });
    expect(sigs.status).toBe(422);
    const manifests = await call('POST', `${api.base}/images`, { metadata: { name: digest('c') }, dockerImageReference: `q/r@${digest('c')}`, dockerImageManifests: [null] });
    expect(manifests.status).toBe(422);
    const name = await call('POST', `${api.url}/apis/apps/v1/namespaces/bad/deployments`, { metadata: { name: 5 }, spec: {} });
    expect([name.status, name.body.message]).toEqual([
      400,
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string',
    ]);
    const nullName = await call('POST', `${api.url}/apis/apps/v1/namespaces/bad/deployments`, { metadata: { name: null }, spec: {} });
    expect([nullName.status, nullName.body.details.causes[0].field]).toEqual([422, 'metadata.name']);
    const preview = await call('POST', `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/bad/pushpreviews`, { apiVersion: 5, metadata: {} });
    expect(preview.status).toBe(400);
  });

  it('null fields of a created or replaced object are unset, as Go decodes them: omitted on reads; a null label or annotation value is ""', async () => {
    const created = await call('POST', `${ns()}/imagestreams`, {
      metadata: { name: 'nullfields', labels: { team: null }, annotations: { note: null } },
      spec: { dockerImageRepository: null, tags: [{ name: 'a', from: null, reference: null, annotations: { q: null }, importPolicy: { insecure: null, scheduled: null } }] },
    });
    expect(created.status).toBe(201);
    const stored = (await call('GET', `${ns()}/imagestreams/nullfields`)).body;
    expect([stored.metadata.labels, stored.metadata.annotations]).toEqual([{ team: '' }, { note: '' }]);
    expect(stored.spec).not.toHaveProperty('dockerImageRepository');
    expect(stored.spec.tags[0]).toEqual({
      name: 'a',
      annotations: { q: '' },
      generation: stored.spec.tags[0].generation,
      importPolicy: { importMode: 'Legacy' },
      referencePolicy: { type: 'Source' },
    });
    const image = await call('POST', `${api.base}/images`, { metadata: { name: digest('e') }, dockerImageReference: `q/r@${digest('e')}`, signatures: null, dockerImageManifests: null, dockerImageConfig: null });
    expect(image.status).toBe(201);
    for (const field of ['signatures', 'dockerImageManifests', 'dockerImageConfig']) expect(image.body).not.toHaveProperty(field);
    // A manifest lacking its digest and media type is reported with Go's zero value, "".
    const manifest = await call('POST', `${api.base}/images`, { metadata: { name: digest('f') }, dockerImageReference: `q/r@${digest('f')}`, dockerImageManifests: [{}] });
    expect(manifest.body.details.causes.slice(0, 2).map((c: { message: string }) => c.message)).toEqual([
      'Invalid value: "": digest does not conform with OCI image specification',
      'Invalid value: "": media type does not conform to RFC6838',
    ]);
    // In a merge patch null still removes the field.
    const patched = await call('PATCH', `${ns()}/imagestreams/nullfields`, { metadata: { labels: { team: null } } }, 'application/merge-patch+json');
    expect([patched.status, patched.body.metadata.labels]).toEqual([200, undefined]);
  });

  it('a metav1.Time that is not an RFC 3339 time is 400 in Go\'s time.Parse words, and nothing is stored', async () => {
    const created = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'badtime', creationTimestamp: 'yesterday' } });
    expect([created.status, created.body.message]).toEqual([
      400,
      'ImageStream in version "v1" cannot be handled as a ImageStream: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    ]);
    expect((await call('GET', `${ns()}/imagestreams/badtime`)).status).toBe(404);
    const stream = (await call('GET', `${ns()}/imagestreams/app`)).body;
    const status = await call('PUT', `${ns()}/imagestreams/app/status`, {
      ...stream,
      status: { tags: [{ tag: 'x', items: [{ created: '2026-13-01T00:00:00Z', dockerImageReference: `q/r@${digest('d')}`, image: digest('d'), generation: 1 }] }] },
    });
    expect([status.status, status.body.message]).toEqual([400, 'ImageStream in version "v1" cannot be handled as a ImageStream: parsing time "2026-13-01T00:00:00Z": month out of range']);
  });

  it('dockerImageMetadata values decode as the docker10.DockerImage the conversion reads them into: a wrong type is 400 (422 in a patch), never stored, never a 5xx', async () => {
    const image = (name: string, metadata: object) => ({ metadata: { name }, dockerImageReference: `q/r@${name}`, dockerImageMetadata: { kind: 'DockerImage', apiVersion: '1.0', ...metadata } });
    const created = await call('POST', `${api.base}/images`, image(digest('7'), { Size: 'big' }));
    expect([created.status, created.body.message]).toEqual([400, 'Image in version "v1" cannot be handled as a Image: json: cannot unmarshal string into Go struct field DockerImage.Size of type int64']);
    const labels = await call('POST', `${api.base}/images`, image(digest('7'), { Config: { Labels: { release: true } } }));
    expect([labels.status, labels.body.message]).toEqual([400, 'Image in version "v1" cannot be handled as a Image: json: cannot unmarshal bool into Go struct field DockerConfig.Config.Labels of type string']);
    expect((await call('GET', `${api.base}/images/${digest('7')}`)).status).toBe(404);

    // A mapping's image in a namespace with an image size limit: its Size reached the limit check as a string (500 before);
    // Go decodes the embedded document on its own, so the field path starts at DockerImage there too.
    const limits = await call('POST', `${api.url}/api/v1/namespaces/bad/limitranges`, { metadata: { name: 'images' }, spec: { limits: [{ type: 'openshift.io/Image', max: { storage: '1Gi' } }] } });
    expect(limits.status).toBe(201);
    const mapping = await call('POST', `${ns()}/imagestreammappings`, { metadata: { name: 'app' }, tag: 'sized', image: image(digest('8'), { Size: 'big' }) });
    expect([mapping.status, mapping.body.message]).toEqual([
      400,
      'ImageStreamMapping in version "v1" cannot be handled as a ImageStreamMapping: json: cannot unmarshal string into Go struct field DockerImage.Size of type int64',
    ]);
    expect((await call('DELETE', `${api.url}/api/v1/namespaces/bad/limitranges/images`)).status).toBe(200);

    expect((await call('POST', `${api.base}/images`, image(digest('9'), { Size: 10 }))).status).toBe(201);
    const patched = await call('PATCH', `${api.base}/images/${digest('9')}`, { dockerImageMetadata: { Size: 'big' } }, 'application/merge-patch+json');
    expect([patched.status, patched.body.details?.causes?.[0]?.field]).toEqual([422, 'patch']);
    const jsonPatched = await call('PATCH', `${api.base}/images/${digest('9')}`, [{ op: 'replace', path: '/dockerImageMetadata/Size', value: 'big' }], 'application/json-patch+json');
    expect([jsonPatched.status, jsonPatched.body.details?.causes?.[0]?.message]).toEqual([422, expect.stringContaining('json: cannot unmarshal string into Go struct field DockerImage.Size of type int64')]);
    expect((await call('GET', `${api.base}/images/${digest('9')}`)).body.dockerImageMetadata.Size).toBe(10);
  });

  it('an integer past what int64 holds, or past what JSON.parse keeps exactly, is 400 and never stored changed', async () => {
    const layer = (size: string) => `{"metadata":{"name":"${digest('a')}"},"dockerImageReference":"q/r@${digest('a')}","dockerImageLayers":[{"name":"${digest('b')}","size":${size},"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip"}]}`;
    for (const [size, quoted] of [['1e30', '1e30'], ['9223372036854775808', '9223372036854775808'], ['9007199254740993', '9007199254740992']]) {
      const created = await call('POST', `${api.base}/images`, layer(size!));
      expect([created.status, created.body.message]).toEqual([
        400,
        `Image in version "v1" cannot be handled as a Image: json: cannot unmarshal number ${quoted} into Go struct field ImageLayer.dockerImageLayers.size of type int64`,
      ]);
    }
    expect((await call('GET', `${api.base}/images/${digest('a')}`)).status).toBe(404);
    const largestExact = await call('POST', `${api.base}/images`, layer(String(Number.MAX_SAFE_INTEGER)));
    expect([largestExact.status, largestExact.body.dockerImageLayers?.[0]?.size]).toEqual([201, Number.MAX_SAFE_INTEGER]);
  });

  it('a body of another kind is 400 as the decoder fails: a kind the scheme lacks by lookup, a served one by conversion', async () => {
    const scheme = 'in scheme "pkg/api/legacyscheme/scheme.go:30"';
    const image = digest('c');
    const mapping = { metadata: { name: 'app' }, tag: 'mapped', image: { metadata: { name: image }, dockerImageReference: `registry.local:5000/bad/app@${image}` } };
    for (const [method, path, body, message] of [
      ['POST', 'imagestreams', { kind: 'imagestream', metadata: { name: 'lower' } }, `imagestream in version "v1" cannot be handled as a ImageStream: no kind "imagestream" is registered for version "image.openshift.io/v1" ${scheme}`],
      ['POST', 'imagestreams', { apiVersion: 'image.openshift.io/v2', kind: 'ImageStream', metadata: { name: 'lower' } }, `ImageStream in version "v2" cannot be handled as a ImageStream: no kind "ImageStream" is registered for version "image.openshift.io/v2" ${scheme}`],
      ['POST', 'imagestreams', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'lower' } }, 'Secret in version "v1" cannot be handled as a ImageStream: converting (v1.Secret) to (image.ImageStream): unknown conversion'],
      ['PUT', 'imagestreams/app', { kind: 'Image', metadata: { name: 'app' } }, 'Image in version "v1" cannot be handled as a ImageStream: converting (v1.Image) to (image.ImageStream): unknown conversion'],
      ['POST', 'imagestreamtags', { kind: 'ImageStreamList', metadata: { name: 'app:x' } }, 'ImageStreamList in version "v1" cannot be handled as a ImageStreamTag: converting (v1.ImageStreamList) to (image.ImageStreamTag): unknown conversion'],
      ['POST', 'imagestreammappings', { kind: 'ImageStreamTag', ...mapping }, 'ImageStreamTag in version "v1" cannot be handled as a ImageStreamMapping: converting (v1.ImageStreamTag) to (image.ImageStreamMapping): unknown conversion'],
      ['POST', 'imagestreammappings', { apiVersion: 'v1', kind: 'ImageStreamMapping', ...mapping }, 'the API version in the data (v1) does not match the expected API version (image.openshift.io/v1)'],
    ] as const) {
      const res = await call(method, `${ns()}/${path}`, body);
      expect([res.status, res.body.reason, res.body.message]).toEqual([400, 'BadRequest', message]);
    }
    expect((await call('GET', `${ns()}/imagestreams/lower`)).status).toBe(404);
    expect((await call('GET', `${ns()}/imagestreamtags/app:x`)).status).toBe(404);
    expect((await call('GET', `${ns()}/imagestreamtags/app:mapped`)).status).toBe(404);
    expect((await call('GET', `${api.base}/images/${image}`)).status).toBe(404);
    // The same mapping with the right type fields is taken: the refusals above were of the type alone.
    expect((await call('POST', `${ns()}/imagestreammappings`, { apiVersion: 'image.openshift.io/v1', kind: 'ImageStreamMapping', ...mapping })).status).toBe(201);
    expect((await call('GET', `${ns()}/imagestreamtags/app:mapped`)).status).toBe(200);
  });

  (kubectlFound ? it : it.skip)('kubectl sends a lowercase kind as written (its mapper finds the resource) and shows the 400', async () => {
    const ws = kubectlWorkspace(api.url, 'bad');
    try {
      const run = await ws.run(['create', '-f', '-'], 'apiVersion: image.openshift.io/v1\nkind: imagestream\nmetadata: {name: lower}\n');
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(
        'Error from server (BadRequest): error when creating "STDIN": imagestream in version "v1" cannot be handled as a ImageStream: no kind "imagestream" is registered for version "image.openshift.io/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
      );
    } finally {
      ws.remove();
    }
    expect((await call('GET', `${ns()}/imagestreams/lower`)).status).toBe(404);
  });

  it('a DELETE body the decoder cannot read is 400 in its words, and deletes nothing', async () => {
    for (const [body, message] of [
      ['garbage', "couldn't get version/kind; json parse error: invalid character 'g' looking for beginning of value"],
      ['{"gracePeriodSeconds":1,', "couldn't get version/kind; json parse error: unexpected end of JSON input"],
      ['[]', `couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type ${kindProbe}`],
      // Another kind is no DeleteOptions (kubectl never sends one; a hand-made request might).
      [
        '{"kind":"ImageStream","apiVersion":"image.openshift.io/v1"}',
        'no kind "ImageStream" is registered for version "image.openshift.io/v1" in scheme "k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme/register.go:27"',
      ],
      ['{"kind":"Status","apiVersion":"v1"}', 'decoded object cannot be converted to DeleteOptions'],
    ]) {
      for (const path of ['imagestreams/app', 'imagestreams']) {
        const res = await call('DELETE', `${ns()}/${path}`, body);
        expect([path, res.status, res.body.reason, res.body.message]).toEqual([path, 400, 'BadRequest', message]);
      }
    }
    expect((await call('GET', `${ns()}/imagestreams/app`)).status).toBe(200);
  });

  it('a create or update body that is not an object is 400 before any handler reads it', async () => {
    // A null DeliveryRedrive read as "no spec": it redrove the whole namespace, then answered 500.
    for (const body of ['null', '[]', '"x"', '5']) {
      const redrive = await call('POST', `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/bad/deliveryredrives`, body);
      const wording = body === 'null' ? /^the request body must be an object, not null$/ : /^the object provided is unrecognized \(must be of type DeliveryRedrive\): /;
      expect([redrive.status, redrive.body.kind, redrive.body.message]).toEqual([400, 'Status', expect.stringMatching(wording)]);
      expect((await call('PUT', `${ns()}/imagestreams/app`, body)).status).toBe(400);
    }
    const yaml = await call('POST', `${ns()}/imagestreams`, '- a\n- b\n', 'application/yaml');
    expect([yaml.status, yaml.body.message]).toEqual([400, `the object provided is unrecognized (must be of type ImageStream): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type ${kindProbe} (2d20610a2d20620a)`]);
  });

  it('a create or update body that is not JSON, or not an object, is 400 worded as kube-apiserver words it: Go\'s decoder error, then the body\'s first 30 bytes', async () => {
    const unrecognized = (kind: string, reason: string, summary: string) =>
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${reason} (${summary})`;
    const cases: [string, string, string, string][] = [
      ['POST', `${ns()}/imagestreams`, '{', unrecognized('ImageStream', 'unexpected end of JSON input', '{')],
      ['POST', `${ns()}/imagestreams`, '', unrecognized('ImageStream', 'unexpected end of JSON input', '<empty>')],
      ['POST', `${ns()}/imagestreams`, '{"metadata":{"name":"x"},}', unrecognized('ImageStream', "invalid character '}' looking for beginning of object key string", '{"metadata":{"name":"x"},}')],
      [
        'POST',
        `${ns()}/imagestreams`,
        '{"metadata":{"name":"a-very-long-name"}} trailing',
        unrecognized('ImageStream', "invalid character 't' after top-level value", '{"metadata":{"name":"a-very-lo ...'),
      ],
      ['PUT', `${ns()}/imagestreams/app`, 'app', unrecognized('ImageStream', "invalid character 'a' looking for beginning of value", '617070')],
      ['PUT', `${ns()}/imagestreams/app/status`, '[1,]', unrecognized('ImageStream', "invalid character ']' looking for beginning of value", '5b312c5d')],
      ['POST', `${ns()}/imagestreams`, '"x"', unrecognized('ImageStream', `json: cannot unmarshal string into Go value of type ${kindProbe}`, '227822')],
      ['PUT', `${ns()}/imagestreamtags/app:t`, 'true', unrecognized('ImageStreamTag', `json: cannot unmarshal bool into Go value of type ${kindProbe}`, '74727565')],
    ];
    for (const [method, url, body, message] of cases) {
      const res = await call(method, url, body);
      expect([method, url, body, res.status, res.body.reason, res.body.message]).toEqual([method, url, body, 400, 'BadRequest', message]);
    }
  });

  it('broken JSON patches are 400/422', async () => {
    const patch = (body: string) => call('PATCH', `${ns()}/imagestreams/app`, body, 'application/json-patch+json');
    // A null operation decodes (as an operation of no kind) and is refused when applied, as kube-apiserver does.
    expect((await patch('[null]')).status).toBe(422);
    expect((await patch('[{"op":"move","from":"/metadata","path":"/metadata/x"}]')).status).toBe(422);
    expect((await patch('[{"op":"add","path":"/__proto__","value":{}}]')).status).toBe(422);
  });

  it('values beyond what can be indexed or stored: tag names over 255 bytes are 422, out-of-range numbers 400', async () => {
    const long = 'x'.repeat(256);
    const spec = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'long' }, spec: { tags: [{ name: long, from: { kind: 'ImageStreamTag', name: 'base' } }] } });
    expect([spec.status, spec.body.details.causes[0]]).toEqual([422, { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 255 bytes', field: 'spec.tags[0].name' }]);
    const mapping = await call('POST', `${ns()}/imagestreammappings`, { metadata: { name: 'app' }, tag: long, image: { metadata: { name: digest('d') }, dockerImageReference: `q/r@${digest('d')}` } });
    expect(mapping.status).toBe(422);
    expect((await call('POST', `${ns()}/imagestreamtags`, { metadata: { name: `app:${long}` }, tag: { from: { kind: 'DockerImage', name: 'a/b:c' } } })).status).toBe(422);
    expect((await call('GET', `${ns()}/imagestreams?limit=99999999999999999999`)).status).toBe(400);
    expect((await call('GET', `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/bad/deliveries?continue=99999999999999999999`)).status).toBe(400);
  });

  it('status history items need created; an out-of-range generation is 400', async () => {
    const current = (await call('GET', `${ns()}/imagestreams/app`)).body;
    const item = { image: digest('e'), dockerImageReference: `q/r@${digest('e')}` };
    const noCreated = await call('PUT', `${ns()}/imagestreams/app/status`, { ...current, status: { tags: [{ tag: 'x', items: [item] }] } });
    expect([noCreated.status, noCreated.body.details.causes[0].field]).toEqual([422, 'status.tags[x].items[0].created']);
    const huge = await call('PUT', `${ns()}/imagestreams/app/status`, { ...current, status: { tags: [{ tag: 'x', items: [{ ...item, created: '2026-01-01T00:00:00Z', generation: 1e30 }] }] } });
    expect(huge.status).toBe(400);
    expect((await call('GET', `${ns()}/imagestreams/app`)).body.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
  });
});
