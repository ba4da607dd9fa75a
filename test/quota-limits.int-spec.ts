import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace, type KubectlWorkspace } from './support/kubectl';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** core/v1 LimitRange and ResourceQuota, and OpenShift's image quota and limit admission over them. */
describe('LimitRange and ResourceQuota', () => {
  let api: TestApi;
  const core = (ns: string, resource: string, name = '') =>
    `${api.url}/api/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
  const streams = (ns: string, name = '') =>
    `${api.base}/namespaces/${ns}/imagestreams${name ? `/${name}` : ''}`;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('stores both kinds with canonical quantities, a server-kept quota status, discovery and tables', async () => {
    const lr = await call('POST', core('qa', 'limitranges'), {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'images' },
      spec: {
        limits: [
          { type: 'openshift.io/Image', max: { storage: '1.5Gi' } },
          { type: 'openshift.io/ImageStream', max: { 'openshift.io/images': 3 } },
        ],
      },
    });
    expect(lr.status).toBe(201);
    expect(lr.body).toMatchObject({
      kind: 'LimitRange',
      apiVersion: 'v1',
      metadata: { name: 'images', namespace: 'qa' },
    });
    expect(lr.body.spec.limits).toEqual([
      { type: 'openshift.io/Image', max: { storage: '1536Mi' } },
      { type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '3' } },
    ]);

    const rq = await call('POST', core('qa', 'resourcequotas'), {
      metadata: { name: 'q' },
      spec: { hard: { 'openshift.io/imagestreams': '2', pods: '10' } },
    });
    expect(rq.status).toBe(201);
    expect(rq.body.status).toEqual({
      hard: { 'openshift.io/imagestreams': '2', pods: '10' },
      used: { 'openshift.io/imagestreams': '0', pods: '0' },
    });
    // The status is the quota system's: a write to it through the main resource is ignored.
    const put = await call('PUT', core('qa', 'resourcequotas', 'q'), {
      ...rq.body,
      status: { hard: {}, used: {} },
    });
    expect(put.status).toBe(200);
    expect(put.body.status.used['openshift.io/imagestreams']).toBe('0');
    const status = await call('GET', core('qa', 'resourcequotas', 'q') + '/status');
    expect(status.body.kind).toBe('ResourceQuota');
    expect((await call('DELETE', core('qa', 'resourcequotas', 'q') + '/status')).status).toBe(405);
    // A status write keeps the spec (and is how a controller would correct the status).
    const statusPut = await call('PUT', core('qa', 'resourcequotas', 'q') + '/status', {
      ...status.body,
      spec: { hard: {} },
      status: {
        hard: { 'openshift.io/imagestreams': '2', pods: '10' },
        used: { 'openshift.io/imagestreams': '1', pods: '0' },
      },
    });
    expect(statusPut.status).toBe(200);
    expect(statusPut.body.spec.hard).toEqual({ 'openshift.io/imagestreams': '2', pods: '10' });
    expect(statusPut.body.status.used['openshift.io/imagestreams']).toBe('1');

    const discovery = await call('GET', `${api.url}/api/v1`);
    expect(discovery.body.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'limitranges',
          kind: 'LimitRange',
          namespaced: true,
          shortNames: ['limits'],
        }),
        expect.objectContaining({
          name: 'resourcequotas',
          kind: 'ResourceQuota',
          namespaced: true,
          shortNames: ['quota'],
        }),
        expect.objectContaining({
          name: 'resourcequotas/status',
          kind: 'ResourceQuota',
          verbs: ['get', 'patch', 'update'],
        }),
      ]),
    );
    type Table = { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    const table = {
      body: (await (
        await fetch(core('qa', 'resourcequotas'), { headers: { accept: TABLE } })
      ).json()) as Table,
    };
    expect(table.body.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Age', 'Request', 'Limit']);
    expect(table.body.rows[0]!.cells[2]).toBe('openshift.io/imagestreams: 1/2, pods: 0/10');
    const all = await call('GET', `${api.url}/api/v1/limitranges`);
    expect(all.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['images']);
  });

  it('refuses what kube-apiserver refuses: 422 with field causes, 400 for a value that is not a quantity', async () => {
    const bad = await call('POST', core('qa', 'limitranges'), {
      metadata: { name: 'bad' },
      spec: {
        limits: [
          { type: 'Bogus', max: { storage: '1Gi' } },
          { type: 'openshift.io/Image', min: { storage: '2Gi' }, max: { storage: '1Gi' } },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "Bogus": must be a standard limit type or fully qualified',
        field: 'spec.limits[0].type',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "2Gi": min value 2Gi is greater than max value 1Gi',
        field: 'spec.limits[1].min[storage]',
      },
    ]);
    const negative = await call('POST', core('qa', 'resourcequotas'), {
      metadata: { name: 'neg' },
      spec: { hard: { 'openshift.io/imagestreams': '-1', widgets: '1' } },
    });
    expect(negative.status).toBe(422);
    expect(negative.body.message).toBe(
      'ResourceQuota "neg" is invalid: [spec.hard[openshift.io/imagestreams]: Invalid value: "-1": must be greater than or equal to 0, spec.hard[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified, spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota]',
    );
    const fraction = await call('POST', core('qa', 'resourcequotas'), {
      metadata: { name: 'frac' },
      spec: { hard: { 'openshift.io/imagestreams': '1.5' } },
    });
    expect(fraction.body.details.causes[0].message).toContain('must be an integer');
    const garbage = await call('POST', core('qa', 'resourcequotas'), {
      metadata: { name: 'garbage' },
      spec: { hard: { pods: 'lots' } },
    });
    expect(garbage.status).toBe(400);
    expect(garbage.body.message).toBe(
      'ResourceQuota in version "v1" cannot be handled as a ResourceQuota: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    );
    expect((await call('GET', core('qa', 'resourcequotas', 'garbage'))).status).toBe(404);
  });

  it('ResourceQuota openshift.io/imagestreams: a create over hard is 403 as upstream words it, status.used follows creates and deletes', async () => {
    const ns = 'quota-a';
    await call('POST', core(ns, 'resourcequotas'), {
      metadata: { name: 'streams' },
      spec: { hard: { 'openshift.io/imagestreams': '2' } },
    });
    expect((await call('POST', streams(ns), { metadata: { name: 'one' } })).status).toBe(201);
    expect((await call('POST', streams(ns), { metadata: { name: 'two' } })).status).toBe(201);
    expect((await call('GET', core(ns, 'resourcequotas', 'streams'))).body.status.used).toEqual({
      'openshift.io/imagestreams': '2',
    });
    const refused = await call('POST', streams(ns), { metadata: { name: 'three' } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      reason: 'Forbidden',
      message:
        'imagestreams.image.openshift.io "three" is forbidden: exceeded quota: streams, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=2, limited: openshift.io/imagestreams=2',
      details: { name: 'three', group: 'image.openshift.io', kind: 'imagestreams' },
    });
    expect((await call('GET', streams(ns, 'three'))).status).toBe(404);
    // A tag source that does not resolve is the strategy's 422, which upstream answers before quota admission.
    const unresolved = await call('POST', streams(ns), { metadata: { name: 'three' }, spec: { tags: [{ name: 'a', from: { kind: 'ImageStreamTag', name: 'missing:latest' } }] } });
    expect([unresolved.status, unresolved.body.details.causes[0].message]).toEqual([422, expect.stringContaining('Not found')]);
    // Server-side apply of a missing stream is a create too; so is an ImageStreamTag that creates its stream.
    const apply = await call(
      'PATCH',
      `${streams(ns, 'three')}?fieldManager=t`,
      { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'three' } },
      'application/apply-patch+yaml',
    );
    expect(apply.status).toBe(403);
    const istag = await call('POST', `${api.base}/namespaces/${ns}/imagestreamtags`, {
      metadata: { name: 'three:latest' },
      tag: { name: 'latest', from: { kind: 'DockerImage', name: 'quay.io/x/y:1' } },
    });
    expect(istag.status).toBe(403);
    expect(istag.body.message).toBe(
      'imagestreamtags.image.openshift.io "three:latest" is forbidden: exceeded quota: streams, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=2, limited: openshift.io/imagestreams=2',
    );
    // An ImageTag is not charged (no upstream evaluator): see quota-limits-conformance-s16.

    const isi = await call('POST', `${api.base}/namespaces/${ns}/imagestreamimports`, {
      metadata: { name: 'three' },
      spec: {
        import: true,
        images: [
          {
            from: { kind: 'DockerImage', name: '127.0.0.1:1/x/y:1' },
            to: { name: 'latest' },
            importPolicy: { insecure: true },
          },
        ],
      },
    });
    expect(isi.status).toBe(403);
    expect(isi.body.message).toBe(
      'imagestreamimports.image.openshift.io "three" is forbidden: exceeded quota: streams, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=2, limited: openshift.io/imagestreams=2',
    );
    // Without import nothing is created, so nothing is counted.
    const preview = await call('POST', `${api.base}/namespaces/${ns}/imagestreamimports`, {
      metadata: { name: 'three' },
      spec: {
        import: false,
        images: [
          { from: { kind: 'DockerImage', name: '127.0.0.1:1/x/y:1' }, importPolicy: { insecure: true } },
        ],
      },
    });
    expect(preview.status).toBe(201);

    expect((await call('DELETE', streams(ns, 'one'))).status).toBe(200);
    expect((await call('GET', core(ns, 'resourcequotas', 'streams'))).body.status.used).toEqual({
      'openshift.io/imagestreams': '1',
    });
    expect((await call('POST', streams(ns), { metadata: { name: 'three' } })).status).toBe(201);
    // Raising the limit updates the status at once.
    const raised = await call(
      'PATCH',
      core(ns, 'resourcequotas', 'streams'),
      { spec: { hard: { 'openshift.io/imagestreams': '5' } } },
      'application/merge-patch+json',
    );
    expect(raised.body.status).toEqual({
      hard: { 'openshift.io/imagestreams': '5' },
      used: { 'openshift.io/imagestreams': '2' },
    });
  });

  it('concurrent creates at the limit: exactly one wins', async () => {
    const ns = 'quota-race';
    await call('POST', core(ns, 'resourcequotas'), {
      metadata: { name: 'q' },
      spec: { hard: { 'openshift.io/imagestreams': '3' } },
    });
    await call('POST', streams(ns), { metadata: { name: 'a' } });
    await call('POST', streams(ns), { metadata: { name: 'b' } });
    const answers = await Promise.all(
      ['c1', 'c2', 'c3', 'c4'].map((name) => call('POST', streams(ns), { metadata: { name } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 403, 403, 403]);
    expect((await call('GET', streams(ns))).body.items).toHaveLength(3);
    expect((await call('GET', core(ns, 'resourcequotas', 'q'))).body.status.used).toEqual({
      'openshift.io/imagestreams': '3',
    });
  });

  it('LimitRange openshift.io/Image max.storage: a mapping of a larger image is 403 as upstream words it, and writes nothing', async () => {
    const ns = 'limit-image';
    await call('POST', core(ns, 'limitranges'), {
      metadata: { name: 'size' },
      spec: { limits: [{ type: 'openshift.io/Image', max: { storage: '1Ki' } }] },
    });
    await call('POST', streams(ns), { metadata: { name: 'app' } });
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const mapping = (name: string, size: number) => ({
      metadata: { name: 'app' },
      tag: 'v1',
      image: {
        metadata: { name },
        dockerImageReference: `quay.io/x/app@${name}`,
        dockerImageMetadata: { kind: 'DockerImage', apiVersion: '1.0', Size: size },
      },
    });
    const big = await call(
      'POST',
      `${api.base}/namespaces/${ns}/imagestreammappings`,
      mapping(digest('b'), 5 * 1024 * 1024),
    );
    expect(big.status).toBe(403);
    expect(big.body).toMatchObject({
      reason: 'Forbidden',
      message:
        'imagestreammappings.image.openshift.io "app" is forbidden: requested usage of storage exceeds the maximum limit per openshift.io/Image (5Mi > 1Ki)',
      details: { name: 'app', group: 'image.openshift.io', kind: 'imagestreammappings' },
    });
    expect((await call('GET', `${api.base}/images/${digest('b')}`)).status).toBe(404);
    expect(
      (await call('POST', `${api.base}/namespaces/${ns}/imagestreammappings`, mapping(digest('c'), 1000)))
        .status,
    ).toBe(201);
    // Other namespaces are not limited.
    await call('POST', streams('unlimited'), { metadata: { name: 'app' } });
    expect(
      (
        await call(
          'POST',
          `${api.base}/namespaces/unlimited/imagestreammappings`,
          mapping(digest('d'), 5 * 1024 * 1024),
        )
      ).status,
    ).toBe(201);
  });

  it('LimitRange openshift.io/ImageStream: new images and new spec references over max are refused as upstream (422), existing violations tolerated', async () => {
    const ns = 'limit-stream';
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    const map = (tag: string, c: string) =>
      call('POST', `${api.base}/namespaces/${ns}/imagestreammappings`, {
        metadata: { name: 'app' },
        tag,
        image: { metadata: { name: digest(c) }, dockerImageReference: `quay.io/x/app@${digest(c)}` },
      });
    const tags = (...names: string[]) =>
      names.map((n) => ({ name: n, from: { kind: 'DockerImage', name: `quay.io/x/${n}:1` } }));
    await call('POST', streams(ns), { metadata: { name: 'app' }, spec: { tags: tags('a', 'b') } });
    // Created before the limit with more references than it allows: kept, and writes that add none pass.
    await call('POST', streams(ns), { metadata: { name: 'old' }, spec: { tags: tags('a', 'b', 'c') } });
    await call('POST', core(ns, 'limitranges'), {
      metadata: { name: 'streams' },
      spec: {
        limits: [
          {
            type: 'openshift.io/ImageStream',
            max: { 'openshift.io/images': '2', 'openshift.io/image-tags': '2' },
          },
        ],
      },
    });
    expect((await map('v1', '1')).status).toBe(201);
    expect((await map('v2', '2')).status).toBe(201);
    // The same image under another tag adds nothing.
    expect((await map('v3', '1')).status).toBe(201);
    const third = await map('v4', '3');
    expect(third.status).toBe(422);
    expect(third.body.message).toBe(
      'ImageStream.image.openshift.io "app" is invalid: imageStream: Forbidden: ImageStream.image.openshift.io "app" is forbidden: requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (3 > 2)',
    );
    const history = (await call('GET', streams(ns, 'app'))).body.status.tags.map(
      (t: { tag: string }) => t.tag,
    );
    expect(history).toEqual(['v1', 'v2', 'v3']);

    const patch = (name: string, body: unknown, type = 'application/merge-patch+json') =>
      call('PATCH', streams(ns, name), body, type);
    expect((await patch('old', { metadata: { labels: { x: 'y' } } })).status).toBe(200);
    expect(
      (await patch('old', [{ op: 'remove', path: '/spec/tags/2' }], 'application/json-patch+json')).status,
    ).toBe(200);
    const added = await patch(
      'app',
      [{ op: 'add', path: '/spec/tags/-', value: tags('c')[0] }],
      'application/json-patch+json',
    );
    expect(added.status).toBe(422);
    expect(added.body.details.causes).toEqual([
      {
        reason: 'InternalError',
        message:
          'Internal error: ImageStream.image.openshift.io "app" is forbidden: requested usage of openshift.io/image-tags exceeds the maximum limit per openshift.io/ImageStream (3 > 2)',
        field: '[]',
      },
    ]);
    const fresh = await call('POST', streams(ns), {
      metadata: { name: 'fresh' },
      spec: { tags: tags('a', 'b', 'c') },
    });
    expect(fresh.status).toBe(422);
    expect(fresh.body.message).toContain(
      'requested usage of openshift.io/image-tags exceeds the maximum limit per openshift.io/ImageStream (3 > 2)',
    );
  });

  describe('with kubectl', () => {
    let k: KubectlWorkspace;
    beforeAll(() => {
      k = kubectlWorkspace(api.url, 'kq');
    });
    afterAll(() => k?.remove());
    (kubectlFound ? it : it.skip)(
      'kubectl create quota (protobuf), get quota, describe, explain',
      async () => {
        expect(await k.ok(['create', 'quota', 'q', '--hard=openshift.io/imagestreams=1'])).toContain(
          'resourcequota/q created',
        );
        expect(await k.ok(['get', 'quota'])).toMatch(/q\s+\S+\s+openshift.io\/imagestreams: 0\/1/);
        await k.ok(
          ['create', '-f', '-'],
          'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: first}\n',
        );
        const refused = await k.run(
          ['create', '-f', '-'],
          'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: second}\n',
        );
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain(
          'imagestreams.image.openshift.io "second" is forbidden: exceeded quota: q, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=1, limited: openshift.io/imagestreams=1',
        );
        expect(
          await k.ok(
            ['apply', '-f', '-'],
            'apiVersion: v1\nkind: LimitRange\nmetadata: {name: l}\nspec:\n  limits:\n  - type: openshift.io/Image\n    max: {storage: 1Mi}\n',
          ),
        ).toContain('limitrange/l created');
        expect(await k.ok(['get', 'limits'])).toMatch(/^NAME\s+CREATED AT\nl\s+/);
        expect(await k.ok(['explain', 'limitrange.spec.limits'])).toContain('max');
        expect(await k.ok(['describe', 'quota', 'q'])).toMatch(/openshift.io\/imagestreams\s+1\s+1/);
      },
    );
  });
});
