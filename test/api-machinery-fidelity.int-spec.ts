import { load } from 'js-yaml';
import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/** Corners of kube-apiserver's generic machinery, each answered as kube-apiserver 1.32 answers it. */
describe('API machinery as kube-apiserver 1.32 answers it', () => {
  let api: TestApi;
  const streams = () => `${api.base}/namespaces/fidelity/imagestreams`;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());
  afterEach(() => jest.restoreAllMocks());

  it('DeleteOptions preconditions fail with rest.BeforeDelete wording (the kind named), and delete nothing', async () => {
    const created = await call('POST', streams(), { metadata: { name: 'pre' } });
    const { uid, resourceVersion } = created.body.metadata;
    const wrongUid = await call('DELETE', `${streams()}/pre`, { preconditions: { uid: 'other' } });
    expect([wrongUid.status, wrongUid.body]).toEqual([
      409,
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Operation cannot be fulfilled on ImageStream.image.openshift.io "pre": the UID in the precondition (other) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
        reason: 'Conflict',
        code: 409,
        details: { name: 'pre', group: 'image.openshift.io', kind: 'ImageStream' },
      },
    ]);
    const staleRv = await call('DELETE', `${streams()}/pre`, {
      preconditions: { uid, resourceVersion: '1x' },
    });
    expect([staleRv.status, staleRv.body.message]).toEqual([
      409,
      `Operation cannot be fulfilled on ImageStream.image.openshift.io "pre": the ResourceVersion in the precondition (1x) does not match the ResourceVersion in record (${resourceVersion}). The object might have been modified`,
    ]);
    // An empty precondition is still one (a set *string in Go), matching no stored object.
    const emptyUid = await call('DELETE', `${streams()}/pre`, { preconditions: { uid: '' } });
    expect([emptyUid.status, emptyUid.body.message]).toEqual([
      409,
      `Operation cannot be fulfilled on ImageStream.image.openshift.io "pre": the UID in the precondition () does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
    ]);
    const emptyRv = await call('DELETE', `${streams()}/pre`, { preconditions: { resourceVersion: '' } });
    expect([emptyRv.status, emptyRv.body.message]).toEqual([
      409,
      `Operation cannot be fulfilled on ImageStream.image.openshift.io "pre": the ResourceVersion in the precondition () does not match the ResourceVersion in record (${resourceVersion}). The object might have been modified`,
    ]);
    const tagged = await call('PUT', `${api.base}/namespaces/fidelity/imagestreamtags/pre:t`, {
      metadata: { name: 'pre:t' },
      tag: { from: { kind: 'DockerImage', name: 'example.com/a/b:1' } },
    });
    expect(tagged.status).toBe(201);
    const tagEmptyUid = await call('DELETE', `${api.base}/namespaces/fidelity/imagestreamtags/pre:t`, { preconditions: { uid: '' } });
    expect([tagEmptyUid.status, tagEmptyUid.body.message]).toEqual([
      409,
      'Operation cannot be fulfilled on imagestreamtags.image.openshift.io "pre:t": the UID precondition was not met',
    ]);
    const current = (await call('GET', `${streams()}/pre`)).body.metadata;
    expect(current.uid).toBe(uid);
    expect(
      (await call('DELETE', `${streams()}/pre`, { preconditions: { uid, resourceVersion: current.resourceVersion } })).status,
    ).toBe(200);
  });

  it("PUT and PATCH check the object's name and namespace against the URL as the handlers' checkName words it (400), before the resourceVersion", async () => {
    const created = await call('POST', streams(), { metadata: { name: 'named' } });
    const rv = created.body.metadata.resourceVersion as string;
    const noName = await call('PUT', `${streams()}/named`, { metadata: { resourceVersion: rv } });
    expect([noName.status, noName.body.message]).toEqual([
      400,
      'the name of the object () does not match the name on the URL (named)',
    ]);
    const otherNs = await call('PUT', `${streams()}/named`, {
      metadata: { name: 'named', namespace: 'elsewhere', resourceVersion: '1' },
    });
    expect([otherNs.status, otherNs.body.message]).toEqual([
      400,
      'the namespace of the object (elsewhere) does not match the namespace on the request (fidelity)',
    ]);
    const unnamed = await call(
      'PATCH',
      `${streams()}/named`,
      { metadata: { name: null } },
      'application/merge-patch+json',
    );
    expect([unnamed.status, unnamed.body.message]).toEqual([
      400,
      'the name of the object () does not match the name on the URL (named)',
    ]);
    const removed = await call(
      'PATCH',
      `${streams()}/named`,
      [{ op: 'remove', path: '/metadata/name' }],
      'application/json-patch+json',
    );
    expect([removed.status, removed.body.message]).toEqual([
      400,
      'the name of the object () does not match the name on the URL (named)',
    ]);
    expect((await call('GET', `${streams()}/named`)).body.metadata.resourceVersion).toBe(rv);
    // The status subresource goes through the same handler.
    const status = await call('PUT', `${streams()}/named/status`, { metadata: { resourceVersion: rv } });
    expect([status.status, status.body.message]).toEqual([
      400,
      'the name of the object () does not match the name on the URL (named)',
    ]);
    const statusNs = await call('PUT', `${streams()}/named/status`, {
      metadata: { name: 'named', namespace: 'elsewhere', resourceVersion: rv },
    });
    expect(statusNs.body.message).toBe(
      'the namespace of the object (elsewhere) does not match the namespace on the request (fidelity)',
    );
    // A create still words a namespace mismatch as rest.BeforeCreate does.
    const createOther = await call('POST', streams(), { metadata: { name: 'x', namespace: 'elsewhere' } });
    expect(createOther.body.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  });

  it('the virtual tag kinds check names against the URL as the same handlers do: an absent name does not match', async () => {
    const base = `${api.base}/namespaces/fidelity`;
    await call('POST', streams(), { metadata: { name: 'views' } });
    const mapped = await call('POST', `${base}/imagestreammappings`, { metadata: { name: 'views' }, tag: 'one', image: { metadata: { name: 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, dockerImageReference: 'example.com/a/b@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } });
    expect([mapped.status, mapped.body.message]).toEqual([201, undefined]);
    const tag = { from: { kind: 'DockerImage', name: 'example.com/a/b:1' }, referencePolicy: { type: 'Source' } };
    expect((await call('PUT', `${base}/imagestreamtags/views:one`, { metadata: { name: 'views:one' }, tag })).status).toBe(201);
    const before = await call('GET', `${base}/imagestreamtags/views:one`);
    expect(before.status).toBe(200);
    const rv = before.body.metadata.resourceVersion as string;
    const moved = { ...tag, from: { kind: 'DockerImage', name: 'example.com/a/b:2' } };
    for (const [kind, resource] of [
      ['ImageStreamTag', 'imagestreamtags'],
      ['ImageTag', 'imagetags'],
    ] as const) {
      const spec = kind === 'ImageTag' ? { spec: moved } : { tag: moved };
      const noName = await call('PUT', `${base}/${resource}/views:one`, { kind, apiVersion: 'image.openshift.io/v1', metadata: { resourceVersion: rv }, ...spec });
      expect([resource, noName.status, noName.body.message]).toEqual([
        resource,
        400,
        'the name of the object () does not match the name on the URL (views:one)',
      ]);
      const otherNs = await call('PUT', `${base}/${resource}/views:one`, { metadata: { name: 'views:one', namespace: 'elsewhere' }, ...spec });
      expect([resource, otherNs.status, otherNs.body.message]).toEqual([
        resource,
        400,
        'the namespace of the object (elsewhere) does not match the namespace on the request (fidelity)',
      ]);
      const unnamed = await call('PATCH', `${base}/${resource}/views:one`, { metadata: { name: null } }, 'application/merge-patch+json');
      expect([resource, unnamed.status, unnamed.body.message]).toEqual([
        resource,
        400,
        'the name of the object () does not match the name on the URL (views:one)',
      ]);
    }
    const after = (await call('GET', `${base}/imagestreamtags/views:one`)).body;
    expect([after.metadata.resourceVersion, after.tag.from.name]).toEqual([rv, 'example.com/a/b:1']);
  });

  it('a delete that finalizers hold moves a set generation once (markAsDeleting), not on a second delete', async () => {
    const created = await call('POST', streams(), {
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    expect(created.body.metadata.generation).toBe(1);
    const marked = await call('DELETE', `${streams()}/held`);
    expect([
      marked.status,
      marked.body.metadata.generation,
      marked.body.metadata.deletionGracePeriodSeconds,
    ]).toEqual([200, 2, 0]);
    const again = await call('DELETE', `${streams()}/held`);
    expect([again.status, again.body.metadata.generation, again.body.metadata.resourceVersion]).toEqual([
      200,
      2,
      marked.body.metadata.resourceVersion,
    ]);
    const released = await call(
      'PATCH',
      `${streams()}/held`,
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    expect(released.status).toBe(200);
    expect((await call('GET', `${streams()}/held`)).status).toBe(404);
  });

  describe('propagationPolicy Foreground and Orphan (the registry store with garbage collection)', () => {
    it('the object gets foregroundDeletion (or orphan) with its deletionTimestamp, answered 200; the collector then removes the finalizer: MODIFIED, DELETED', async () => {
      for (const [name, query, body, finalizer] of [
        ['fg', '', { propagationPolicy: 'Foreground' }, 'foregroundDeletion'],
        ['or', '', { propagationPolicy: 'Orphan' }, 'orphan'],
        ['legacy', '?orphanDependents=true', undefined, 'orphan'],
      ] as const) {
        const created = await call('POST', streams(), { metadata: { name } });
        const watch = watchEvents(
          `${streams()}?watch=1&resourceVersion=${created.body.metadata.resourceVersion}&fieldSelector=metadata.name%3D${name}`,
        );
        await watch.opened;
        const deleted = await call('DELETE', `${streams()}/${name}${query}`, body);
        expect([
          name,
          deleted.status,
          deleted.body.kind,
          deleted.body.metadata.finalizers,
          deleted.body.metadata.deletionGracePeriodSeconds,
          deleted.body.metadata.generation,
        ]).toEqual([name, 200, 'ImageStream', [finalizer], 0, 2]);
        expect(deleted.body.metadata.deletionTimestamp).toEqual(expect.any(String));
        await watch.waitFor((events) => events.some((e) => e.type === 'DELETED'));
        watch.stop();
        // kube's DELETED carries the stored state (etcd's previous value): the collector's finalizer is still listed.
        expect(watch.events.map((e) => [e.type, e.object.metadata.finalizers ?? []])).toEqual([
          ['MODIFIED', [finalizer]],
          ['DELETED', [finalizer]],
        ]);
        expect(watch.events[0]!.object.metadata.resourceVersion).toBe(deleted.body.metadata.resourceVersion);
        expect((await call('GET', `${streams()}/${name}`)).status).toBe(404);
      }
    });

    it("other finalizers still hold the object; the collector's finalizer goes, and a second delete changes nothing", async () => {
      await call('POST', streams(), { metadata: { name: 'fgheld', finalizers: ['example.com/hold'] } });
      const deleted = await call('DELETE', `${streams()}/fgheld`, { propagationPolicy: 'Foreground' });
      expect([deleted.status, deleted.body.metadata.finalizers]).toEqual([
        200,
        ['example.com/hold', 'foregroundDeletion'],
      ]);
      const held = await call('GET', `${streams()}/fgheld`);
      expect([held.body.metadata.finalizers, held.body.metadata.deletionTimestamp]).toEqual([
        ['example.com/hold'],
        deleted.body.metadata.deletionTimestamp,
      ]);
      const again = await call('DELETE', `${streams()}/fgheld`);
      expect([again.status, again.body.metadata.resourceVersion]).toEqual([
        200,
        held.body.metadata.resourceVersion,
      ]);
      // A dry run answers what would be marked and changes nothing.
      await call('POST', streams(), { metadata: { name: 'fgdry' } });
      const dry = await call('DELETE', `${streams()}/fgdry`, { propagationPolicy: 'Foreground', dryRun: ['All'] });
      expect([dry.status, dry.body.metadata.finalizers]).toEqual([200, ['foregroundDeletion']]);
      expect((await call('GET', `${streams()}/fgdry`)).body.metadata).not.toHaveProperty('deletionTimestamp');
      expect(
        (
          await call(
            'PATCH',
            `${streams()}/fgheld`,
            { metadata: { finalizers: null } },
            'application/merge-patch+json',
          )
        ).status,
      ).toBe(200);
      expect((await call('GET', `${streams()}/fgheld`)).status).toBe(404);
    });
  });

  describe('generateName', () => {
    /** Makes every generated suffix the same (generateName draws 5 random bytes), or the same `times` times. */
    function fixSuffix(times = Infinity): { draws: () => number } {
      // The module object itself (an ES import is a wrapper with fixed getters): the server, in this process, calls it.
      const crypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');
      const real = crypto.randomBytes.bind(crypto) as (size: number, cb?: unknown) => Buffer;
      let draws = 0;
      jest.spyOn(crypto, 'randomBytes').mockImplementation((size: number, cb?: unknown) => {
        if (size !== 5 || cb !== undefined) return real(size, cb);
        draws += 1;
        return draws <= times ? Buffer.alloc(5, 0) : real(5);
      });
      return { draws: () => draws };
    }

    it('a generated name that is taken is made again (RetryGenerateName), up to 8 attempts, then 409 with retryAfterSeconds', async () => {
      fixSuffix();
      const first = await call('POST', streams(), { metadata: { generateName: 'gen-' } });
      expect([first.status, first.body.metadata.name]).toEqual([201, 'gen-bbbbb']);
      jest.restoreAllMocks();

      const taken = fixSuffix();
      const refused = await call('POST', streams(), { metadata: { generateName: 'gen-' } });
      expect(taken.draws()).toBe(8);
      expect([refused.status, refused.body]).toEqual([
        409,
        {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message:
            'imagestreams.image.openshift.io "gen-bbbbb" already exists, the server was not able to generate a unique name for the object',
          reason: 'AlreadyExists',
          code: 409,
          details: {
            name: 'gen-bbbbb',
            group: 'image.openshift.io',
            kind: 'imagestreams',
            retryAfterSeconds: 1,
          },
        },
      ]);
      jest.restoreAllMocks();

      // Taken three times, then free: the fourth attempt creates it.
      const thrice = fixSuffix(3);
      const retried = await call('POST', streams(), { metadata: { generateName: 'gen-' } });
      expect(thrice.draws()).toBe(4);
      expect(retried.status).toBe(201);
      expect(retried.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(retried.body.metadata.name).not.toBe('gen-bbbbb');
      // A name the client chose is no generated one: taken is 409 at once, upstream's plain wording.
      const chosen = await call('POST', streams(), { metadata: { name: 'gen-bbbbb', generateName: 'gen-' } });
      expect([chosen.status, chosen.body.message]).toEqual([
        409,
        'imagestreams.image.openshift.io "gen-bbbbb" already exists',
      ]);
    });
  });

  it('a JSON patch that does not apply is 422 with NewGenericServerResponse wording and empty details', async () => {
    await call('POST', streams(), { metadata: { name: 'jp' } });
    const expected = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      code: 422,
      details: {},
    };
    for (const ops of [
      [{ op: 'test', path: '/metadata/name', value: 'other' }],
      [{ op: 'replace', path: '/metadata/labels/missing', value: 'x' }],
      [{ op: 'frobnicate', path: '/metadata/name' }],
    ]) {
      const res = await call('PATCH', `${streams()}/jp`, ops, 'application/json-patch+json');
      expect([ops[0]!.op, res.status, res.body]).toEqual([ops[0]!.op, 422, expected]);
    }
  });

  it('a JSON patch body decodes as kube-apiserver decodes it: strictly first unless fieldValidation=Ignore, then jsonpatch.DecodePatch (Go wording, 400); null is no operation; over 10,000 operations is 413', async () => {
    const jp = `${streams()}/jp`;
    const patch = (body: string, query = '') =>
      call('PATCH', `${jp}${query}`, body, 'application/json-patch+json');
    for (const [body, strict, ignore] of [
      [
        '{"op":"add"}',
        'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
        'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
      ],
      [
        '"x"',
        'error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp',
        'json: cannot unmarshal string into Go value of type jsonpatch.Patch',
      ],
      [
        '[1]',
        'error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp',
        'json: cannot unmarshal number into Go value of type jsonpatch.Operation',
      ],
      [
        '[[]]',
        'error decoding patch: json: cannot unmarshal array into Go value of type handlers.jsonPatchOp',
        'json: cannot unmarshal array into Go value of type jsonpatch.Operation',
      ],
      [
        '[true]',
        'error decoding patch: json: cannot unmarshal bool into Go value of type handlers.jsonPatchOp',
        'json: cannot unmarshal bool into Go value of type jsonpatch.Operation',
      ],
    ]) {
      for (const [query, message] of [
        ['', strict],
        ['?fieldValidation=Strict', strict],
        ['?fieldValidation=Ignore', ignore],
      ]) {
        const res = await patch(body!, query);
        expect([body, query, res.status, res.body.message]).toEqual([body, query, 400, message]);
      }
    }
    const badOp = await patch('[{"op":5,"path":"/metadata/labels/a","value":"b"}]');
    expect([badOp.status, badOp.body.message]).toEqual([
      400,
      'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string',
    ]);
    expect(
      (await patch('[{"op":5,"path":"/metadata/labels/a","value":"b"}]', '?fieldValidation=Ignore')).status,
    ).toBe(422);
    const before = (await call('GET', jp)).body.metadata.resourceVersion;
    const none = await patch('null');
    expect([none.status, none.body.metadata.resourceVersion]).toEqual([200, before]);
    expect((await patch('[null]')).status).toBe(422);
    const many = await patch(
      JSON.stringify(
        Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata/name', value: 'jp' })),
      ),
    );
    expect([many.status, many.body.reason, many.body.message]).toEqual([
      413,
      'RequestEntityTooLarge',
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    ]);
    expect(
      (
        await patch(
          JSON.stringify(
            Array.from({ length: 10000 }, () => ({ op: 'test', path: '/metadata/name', value: 'jp' })),
          ),
        )
      ).status,
    ).toBe(200);
  });

  it('a patch body that does not parse, or a merge/strategic patch that is no object, is 400 in handlers/patch.go\'s words per patch type', async () => {
    const jp = `${streams()}/jp`;
    const before = (await call('GET', jp)).body.metadata.resourceVersion;
    const cases: [string, string, string, unknown][] = [
      ['application/merge-patch+json', '', '{"metadata":', 'error decoding patch: unexpected end of JSON input'],
      ['application/merge-patch+json', '?fieldValidation=Strict', '{"metadata":x}', "error decoding patch: invalid character 'x' looking for beginning of value"],
      ['application/merge-patch+json', '?fieldValidation=Ignore', '{"metadata":', 'Invalid JSON Patch'],
      ['application/merge-patch+json', '', '[1]', 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}'],
      ['application/json-patch+json', '', '[{"op":', 'error decoding patch: unexpected end of JSON input'],
      ['application/json-patch+json', '?fieldValidation=Ignore', '[{"op":', 'unexpected end of JSON input'],
      ['application/strategic-merge-patch+json', '', '{"metadata":', 'unexpected end of JSON input'],
      ['application/strategic-merge-patch+json', '?fieldValidation=Ignore', '"x"', 'json: cannot unmarshal string into Go value of type map[string]interface {}'],
      ['application/apply-patch+yaml', '&fieldManager=t', 'metadata: [', expect.stringMatching(/^error decoding YAML: /)],
    ];
    for (const [type, query, body, message] of cases) {
      const res = await call('PATCH', `${jp}${query.startsWith('&') ? `?${query.slice(1)}` : query}`, body, type);
      expect([type, query, body, res.status, res.body.reason, res.body.message]).toEqual([type, query, body, 400, 'BadRequest', message]);
    }
    expect((await call('GET', jp)).body.metadata.resourceVersion).toBe(before);
  });

  it('406 names the media types kube-apiserver names, is negotiated before the list options, and a watch refuses YAML (no stream framing)', async () => {
    const notAcceptable = (message: string) => ({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: 'NotAcceptable',
      code: 406,
    });
    const objects = notAcceptable(
      'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    );
    for (const [url, accept] of [
      [`${streams()}/missing`, 'text/html'],
      [`${streams()}?limit=abc`, 'text/html'],
      [streams(), 'application/json;as=Table;v=v2;g=meta.k8s.io'],
      [`${streams()}?watch=1&limit=abc`, 'application/json;as=Foo;v=v1;g=meta.k8s.io'],
    ]) {
      const res = await fetch(url!, { headers: { accept: accept! } });
      expect([url, accept, res.status, await res.json()]).toEqual([url, accept, 406, objects]);
    }
    const yamlWatch = await fetch(`${streams()}?watch=1&timeoutSeconds=1`, {
      headers: { accept: 'application/yaml' },
    });
    // The Status itself is written in YAML: for errors the Accept header allows it.
    expect([yamlWatch.status, load(await yamlWatch.text())]).toEqual([
      406,
      notAcceptable(
        'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch',
      ),
    ]);
    // The options are checked before the stream framing, as upstream.
    expect(
      (await fetch(`${streams()}?watch=1&timeoutSeconds=x`, { headers: { accept: 'application/yaml' } }))
        .status,
    ).toBe(400);
    expect(
      (
        await fetch(`${streams()}?watch=1&timeoutSeconds=1`, {
          headers: { accept: 'application/yaml, application/json' },
        })
      ).status,
    ).toBe(406);
  });

  it('a list with limit: resourceVersion=0 ignores the limit (watch cache); a specific resourceVersion without a match reads exactly that version (legacy exact)', async () => {
    const at = `${api.base}/namespaces/paging/imagestreams`;
    await call('POST', at, { metadata: { name: 'a' } });
    const second = await call('POST', at, { metadata: { name: 'b' } });
    const rv = second.body.metadata.resourceVersion as string;
    await call('POST', at, { metadata: { name: 'c' } });
    const fromCache = await call('GET', `${at}?limit=1&resourceVersion=0`);
    expect([
      fromCache.body.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      fromCache.body.metadata.continue,
    ]).toEqual([['a', 'b', 'c'], undefined]);
    const names: string[] = [];
    let page = await call('GET', `${at}?limit=1&resourceVersion=${rv}`);
    expect(page.body.metadata.resourceVersion).toBe(rv);
    for (;;) {
      names.push(...page.body.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      if (!page.body.metadata.continue) break;
      page = await call('GET', `${at}?limit=1&continue=${encodeURIComponent(page.body.metadata.continue)}`);
      expect(page.body.metadata.resourceVersion).toBe(rv);
    }
    expect(names).toEqual(['a', 'b']);
    // NotOlderThan (or no limit) reads the current state, as the watch cache serves it.
    expect(
      (await call('GET', `${at}?limit=5&resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`)).body.items,
    ).toHaveLength(3);
    expect((await call('GET', `${at}?resourceVersion=${rv}`)).body.items).toHaveLength(3);
    // The limit is still decoded when it is ignored.
    expect((await call('GET', `${at}?limit=x&resourceVersion=0`)).status).toBe(400);
  });

  describe('?pretty and pretty-printing user agents (negotiation isPrettyPrint)', () => {
    const fetchText = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { headers });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };

    it('indents JSON answers, errors included, for ?pretty=true and for curl, Wget and browsers; ?pretty=false and other clients get compact JSON', async () => {
      await call('POST', streams(), { metadata: { name: 'pp' } });
      const one = await fetchText(`${streams()}/pp?pretty=true`);
      expect(one.type).toBe('application/json');
      expect(one.text).toBe(JSON.stringify(JSON.parse(one.text), null, 2));
      expect(one.text).toContain('\n  "kind": "ImageStream",\n');
      const missing = await fetchText(`${streams()}/nope?pretty=1`);
      expect([missing.status, missing.text]).toEqual([
        404,
        JSON.stringify(JSON.parse(missing.text), null, 2),
      ]);
      for (const agent of ['curl/8.5.0', 'Wget/1.21', 'Mozilla/5.0 (X11; Linux x86_64)']) {
        const list = await fetchText(streams(), { 'user-agent': agent });
        expect([agent, list.text]).toEqual([agent, JSON.stringify(JSON.parse(list.text), null, 2)]);
        const compact = await fetchText(`${streams()}/pp?pretty=false`, { 'user-agent': agent });
        expect([agent, compact.text]).toEqual([agent, JSON.stringify(JSON.parse(compact.text))]);
      }
      for (const url of [
        `${streams()}/pp`,
        `${streams()}/pp?pretty=yes`,
        `${api.url}/apis/image.openshift.io/v1`,
      ]) {
        const compact = await fetchText(url, {
          'user-agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd',
        });
        expect([url, compact.text]).toEqual([url, JSON.stringify(JSON.parse(compact.text))]);
      }
      const discovery = await fetchText(`${api.url}/apis?pretty=true`);
      expect(discovery.text).toBe(JSON.stringify(JSON.parse(discovery.text), null, 2));
      // kube-apiserver writes /version indented whoever asks.
      const version = await fetchText(`${api.url}/version`, { 'user-agent': 'kubectl/v1.32.4' });
      expect(version.text).toBe(JSON.stringify(JSON.parse(version.text), null, 2));
    });

    it('watch events stay one per line for curl', async () => {
      const res = await fetch(`${streams()}?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dpp`, {
        headers: { 'user-agent': 'curl/8.5.0' },
      });
      const lines = (await res.text()).split('\n').filter((l) => l !== '');
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'pp' } } });
    });
  });
});
