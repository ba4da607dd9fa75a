import { call } from '@app/testing';
import { type IngestStack, settledPush, startIngestStack } from './ingest-harness';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { OciLayout, registryUnavailableReason, skopeoCopy } from './support/registry';

/**
 * Image quota and limits against upstream (openshift-apiserver's quota evaluators and
 * ImageLimitRange admission, kube-apiserver's ResourceQuota admission and validation): which
 * writes each quota charges, scoped quotas, and ResourceQuota validation of scopes.
 */
describe('quota and limits conformance (s16)', () => {
  let api: TestApi;
  const core = (ns: string, resource: string, name = '') =>
    `${api.url}/api/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
  const image = (ns: string, resource: string, name = '') =>
    `${api.base}/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
  const dockerTag = { kind: 'DockerImage', name: 'quay.io/x/y:1' };
  const istag = (ns: string, name: string) =>
    call('POST', image(ns, 'imagestreamtags'), { metadata: { name }, tag: { name: name.split(':')[1], from: dockerTag } });
  const itag = (ns: string, name: string) =>
    call('POST', image(ns, 'imagetags'), { metadata: { name }, spec: { name: name.split(':')[1], from: dockerTag } });
  const isi = (ns: string, name: string) =>
    call('POST', image(ns, 'imagestreamimports'), {
      metadata: { name },
      spec: {
        import: true,
        images: [{ from: { kind: 'DockerImage', name: '127.0.0.1:1/x/y:1' }, to: { name: 'latest' }, importPolicy: { insecure: true } }],
      },
    });
  const used = async (ns: string, quota: string) => (await call('GET', core(ns, 'resourcequotas', quota))).body.status.used;
  const streamNames = async (ns: string) =>
    (await call('GET', image(ns, 'imagestreams'))).body.items.map((s: { metadata: { name: string } }) => s.metadata.name);

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('count/imagestreams.image.openshift.io charges ImageStream creates only; ImageStreamTag and ImageStreamImport are charged openshift.io/imagestreams only, ImageTag nothing', async () => {
    // Upstream: the imagestreams object count evaluator (aliased openshift.io/imagestreams) runs on
    // ImageStream creates; the imagestreamtags/imagestreamimports evaluators match only
    // openshift.io/imagestreams; ImageTag has no evaluator; the streams they create are written
    // through the internal registry, without admission. The quota controller still counts them all.
    const ns = 'qc-count';
    await call('POST', core(ns, 'resourcequotas'), {
      metadata: { name: 'count' },
      spec: { hard: { 'count/imagestreams.image.openshift.io': '1' } },
    });
    expect((await call('POST', image(ns, 'imagestreams'), { metadata: { name: 'a' } })).status).toBe(201);
    const refused = await call('POST', image(ns, 'imagestreams'), { metadata: { name: 'b' } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'imagestreams.image.openshift.io "b" is forbidden: exceeded quota: count, requested: count/imagestreams.image.openshift.io=1, used: count/imagestreams.image.openshift.io=1, limited: count/imagestreams.image.openshift.io=1',
    );
    expect((await istag(ns, 'b:1')).status).toBe(201);
    expect((await itag(ns, 'c:1')).status).toBe(201);
    expect((await isi(ns, 'd')).status).toBe(201);
    expect(await streamNames(ns)).toEqual(['a', 'b', 'c', 'd']);
    expect(await used(ns, 'count')).toEqual({ 'count/imagestreams.image.openshift.io': '4' });

    // openshift.io/imagestreams: ImageStreamTag and ImageStreamImport are refused, an ImageTag is not.
    const os = 'qc-alias';
    await call('POST', core(os, 'resourcequotas'), {
      metadata: { name: 'streams' },
      spec: { hard: { 'openshift.io/imagestreams': '0', 'count/imagestreams.image.openshift.io': '0' } },
    });
    const tag = await istag(os, 'x:1');
    expect(tag.status).toBe(403);
    expect(tag.body.message).toBe(
      'imagestreamtags.image.openshift.io "x:1" is forbidden: exceeded quota: streams, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=0, limited: openshift.io/imagestreams=0',
    );
    const imported = await isi(os, 'y');
    expect(imported.status).toBe(403);
    expect(imported.body.message).toBe(
      'imagestreamimports.image.openshift.io "y" is forbidden: exceeded quota: streams, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=0, limited: openshift.io/imagestreams=0',
    );
    const direct = await call('POST', image(os, 'imagestreams'), { metadata: { name: 'z' } });
    expect(direct.body.message).toBe(
      'imagestreams.image.openshift.io "z" is forbidden: exceeded quota: streams, requested: count/imagestreams.image.openshift.io=1,openshift.io/imagestreams=1, used: count/imagestreams.image.openshift.io=0,openshift.io/imagestreams=0, limited: count/imagestreams.image.openshift.io=0,openshift.io/imagestreams=0',
    );
    expect(await streamNames(os)).toEqual([]);
    const put = await call('PUT', image(os, 'imagetags', 'w:1'), { metadata: { name: 'w:1' }, spec: { name: '1', from: dockerTag } });
    expect(put.status).toBe(201);
    expect(await streamNames(os)).toEqual(['w']);
    expect(await used(os, 'streams')).toEqual({ 'openshift.io/imagestreams': '1', 'count/imagestreams.image.openshift.io': '1' });
  });

  it('an ImageStream over both a quota and an openshift.io/ImageStream limit is 422 (the strategy validates before quota admission); an ImageStreamTag is 403 (its own admission comes first)', async () => {
    const ns = 'qc-order';
    await call('POST', core(ns, 'resourcequotas'), { metadata: { name: 'none' }, spec: { hard: { 'openshift.io/imagestreams': '0' } } });
    await call('POST', core(ns, 'limitranges'), {
      metadata: { name: 'no-tags' },
      spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/image-tags': '0' } }] },
    });
    const tags = [
      { name: 'a', from: { kind: 'DockerImage', name: 'quay.io/x/a:1' } },
      { name: 'b', from: { kind: 'DockerImage', name: 'quay.io/x/b:1' } },
    ];
    const stream = await call('POST', image(ns, 'imagestreams'), { metadata: { name: 'app' }, spec: { tags } });
    expect(stream.status).toBe(422);
    expect(stream.body.message).toBe(
      'ImageStream.image.openshift.io "app" is invalid: []: Internal error: ImageStream.image.openshift.io "app" is forbidden: requested usage of openshift.io/image-tags exceeds the maximum limit per openshift.io/ImageStream (2 > 0)',
    );
    // Without tags the limit has nothing to check: the quota answers.
    const within = await call('POST', image(ns, 'imagestreams'), { metadata: { name: 'app' } });
    expect(within.status).toBe(403);
    expect(within.body.reason).toBe('Forbidden');
    // Its one tag is over the limit too, but the quota refuses first.
    const tag = await istag(ns, 'app:a');
    expect(tag.status).toBe(403);
    expect(tag.body.message).toContain('imagestreamtags.image.openshift.io "app:a" is forbidden: exceeded quota: none');
    expect(await streamNames(ns)).toEqual([]);
  });

  it('a scoped quota is not charged by ImageStream creates and counts no stream; ImageStreamTag creates are still checked against it', async () => {
    // kube's object count evaluator matches no scope (MatchesNoScopeFunc), in admission and in the
    // quota controller's usage; openshift's imagestreamtags evaluator matches every scope.
    const ns = 'qc-scoped';
    const created = await call('POST', core(ns, 'resourcequotas'), {
      metadata: { name: 'scoped' },
      spec: { hard: { 'openshift.io/imagestreams': '0' }, scopes: ['Terminating'] },
    });
    expect(created.status).toBe(201);
    await call('POST', core(ns, 'resourcequotas'), {
      metadata: { name: 'selected' },
      spec: {
        hard: { 'count/imagestreams.image.openshift.io': '0' },
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
      },
    });
    expect((await call('POST', image(ns, 'imagestreams'), { metadata: { name: 'a' } })).status).toBe(201);
    expect(await used(ns, 'scoped')).toEqual({ 'openshift.io/imagestreams': '0' });
    expect(await used(ns, 'selected')).toEqual({ 'count/imagestreams.image.openshift.io': '0' });
    const tag = await istag(ns, 'b:1');
    expect(tag.status).toBe(403);
    expect(tag.body.message).toBe(
      'imagestreamtags.image.openshift.io "b:1" is forbidden: exceeded quota: scoped, requested: openshift.io/imagestreams=1, used: openshift.io/imagestreams=0, limited: openshift.io/imagestreams=0',
    );
    expect(await streamNames(ns)).toEqual(['a']);
  });

  it('ResourceQuota scopes are validated as kube-apiserver does: conflicting scopes, scopes unsupported by a standard resource, Exists-only selector scopes', async () => {
    const refused = await call('POST', core('qc-valid', 'resourcequotas'), {
      metadata: { name: 'bad' },
      spec: { hard: { configmaps: '1', 'openshift.io/imagestreams': '1' }, scopes: ['Terminating', 'NotTerminating'] },
    });
    expect(refused.status).toBe(422);
    const scopes = '[]core.ResourceQuotaScope{"Terminating", "NotTerminating"}';
    expect(refused.body.message).toBe(
      `ResourceQuota "bad" is invalid: [spec.scopes: Invalid value: ${scopes}: unsupported scope applied to resource, spec.scopes: Invalid value: ${scopes}: unsupported scope applied to resource, spec.scopes: Invalid value: ${scopes}: conflicting scopes]`,
    );
    const selector = await call('POST', core('qc-valid', 'resourcequotas'), {
      metadata: { name: 'sel' },
      spec: {
        hard: { pods: '1' },
        scopeSelector: {
          matchExpressions: [
            { scopeName: 'BestEffort', operator: 'In', values: ['x'] },
            { scopeName: 'NotBestEffort', operator: 'Exists' },
          ],
        },
      },
    });
    expect(selector.status).toBe(422);
    expect(selector.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message:
          "Invalid value: \"In\": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        field: 'spec.scopeSelector.matchExpressions.operator',
      },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes',
        field: 'spec.scopeSelector.matchExpressions',
      },
    ]);
    expect((await call('GET', core('qc-valid', 'resourcequotas'))).body.items).toEqual([]);
    // Null or empty lists are omitted, as v1 serializes them.
    const empty = await call('POST', core('qc-valid', 'resourcequotas'), { metadata: { name: 'empty' }, spec: { hard: {}, scopes: null, scopeSelector: null } });
    expect(empty.status).toBe(201);
    expect(empty.body.spec).toEqual({});
    expect(empty.body.status).toEqual({});
  });
  it('openshift.io/Image refusals of several LimitRanges aggregate as errors.NewAggregate: bracketed, each distinct message once', async () => {
    const ns = 'qc-aggregate';
    const size = (name: string, storage: string) =>
      call('POST', core(ns, 'limitranges'), { metadata: { name }, spec: { limits: [{ type: 'openshift.io/Image', max: { storage } }] } });
    await size('a', '1Ki');
    await size('b', '1Ki');
    await call('POST', image(ns, 'imagestreams'), { metadata: { name: 'app' } });
    const map = (c: string) =>
      call('POST', image(ns, 'imagestreammappings'), {
        metadata: { name: 'app' },
        tag: 'v1',
        image: {
          metadata: { name: `sha256:${c.repeat(64)}` },
          dockerImageReference: `quay.io/x/app@sha256:${c.repeat(64)}`,
          dockerImageMetadata: { kind: 'DockerImage', apiVersion: '1.0', Size: 5 * 1024 * 1024 },
        },
      });
    const same = await map('a');
    expect(same.status).toBe(403);
    expect(same.body.message).toBe(
      'imagestreammappings.image.openshift.io "app" is forbidden: requested usage of storage exceeds the maximum limit per openshift.io/Image (5Mi > 1Ki)',
    );
    await size('c', '2Ki');
    const several = await map('b');
    expect(several.body.message).toBe(
      'imagestreammappings.image.openshift.io "app" is forbidden: [requested usage of storage exceeds the maximum limit per openshift.io/Image (5Mi > 1Ki), requested usage of storage exceeds the maximum limit per openshift.io/Image (5Mi > 2Ki)]',
    );
    expect((await call('GET', image(ns, 'imagestreams', 'app'))).body.status.tags).toBeUndefined();
  });

  it('a /status write adding images over openshift.io/ImageStream max is 422 as the status strategy answers (Forbidden at imageStream); pruning passes', async () => {
    const ns = 'qc-status';
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    await call('POST', image(ns, 'imagestreams'), { metadata: { name: 'app' } });
    for (const [tag, c] of [['v1', '1'], ['v2', '2']] as const)
      await call('POST', image(ns, 'imagestreammappings'), {
        metadata: { name: 'app' },
        tag,
        image: { metadata: { name: digest(c) }, dockerImageReference: `quay.io/x/app@${digest(c)}` },
      });
    await call('POST', core(ns, 'limitranges'), {
      metadata: { name: 'two' },
      spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '2' } }] },
    });
    const stream = (await call('GET', image(ns, 'imagestreams', 'app'))).body;
    const event = (c: string) => ({ created: '2026-01-01T00:00:00Z', dockerImageReference: `quay.io/x/app@${digest(c)}`, image: digest(c), generation: 1 });
    const grown = await call('PUT', image(ns, 'imagestreams', 'app') + '/status', {
      ...stream,
      status: { ...stream.status, tags: [...stream.status.tags, { tag: 'v3', items: [event('3')] }] },
    });
    expect(grown.status).toBe(422);
    expect(grown.body.message).toBe(
      'ImageStream.image.openshift.io "app" is invalid: imageStream: Forbidden: ImageStream.image.openshift.io "app" is forbidden: requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (3 > 2)',
    );
    expect((await call('GET', image(ns, 'imagestreams', 'app'))).body.status.tags.map((t: { tag: string }) => t.tag)).toEqual(['v1', 'v2']);
    // Replacing an image by another keeps the count: within the limit.
    const swapped = await call('PUT', image(ns, 'imagestreams', 'app') + '/status', {
      ...stream,
      status: { ...stream.status, tags: [stream.status.tags[0], { tag: 'v2', items: [event('3')] }] },
    });
    expect(swapped.status).toBe(200);
    const pruned = await call('PUT', image(ns, 'imagestreams', 'app') + '/status', {
      ...swapped.body,
      status: { ...swapped.body.status, tags: [swapped.body.status.tags[0]] },
    });
    expect(pruned.status).toBe(200);
  });

  it('LimitRange Container items get core/v1 defaults (default from max, defaultRequest from default then min) before validation; image types are kept as sent', async () => {
    const ns = 'qc-limits';
    const created = await call('POST', core(ns, 'limitranges'), {
      metadata: { name: 'mixed' },
      spec: {
        limits: [
          { type: 'Container', max: { cpu: '2' }, min: { memory: '1Mi' }, default: { memory: '64Mi' } },
          { type: 'openshift.io/Image', max: { storage: '1Gi' }, min: { storage: '1Ki' } },
          { type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '10' }, min: null, default: null },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.spec.limits).toEqual([
      {
        type: 'Container',
        max: { cpu: '2' },
        min: { memory: '1Mi' },
        default: { cpu: '2', memory: '64Mi' },
        defaultRequest: { cpu: '2', memory: '64Mi' },
      },
      { type: 'openshift.io/Image', max: { storage: '1Gi' }, min: { storage: '1Ki' } },
      { type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '10' } },
    ]);
    expect((await call('GET', core(ns, 'limitranges', 'mixed'))).body.spec).toEqual(created.body.spec);
    // The defaulted limit is validated: a default request over max is over the default limit too.
    const refused = await call('POST', core(ns, 'limitranges'), {
      metadata: { name: 'over' },
      spec: { limits: [{ type: 'Container', max: { cpu: '1' }, defaultRequest: { cpu: '2' } }] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      'LimitRange "over" is invalid: [spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than max value 1, spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than default limit value 1]',
    );
    expect((await call('GET', core(ns, 'limitranges', 'over'))).status).toBe(404);
  });
  (kubectlFound ? it : it.skip)('with kubectl 1.32: create quota --scopes (protobuf) is validated, a scoped quota reads used 0, create -f of a LimitRange shows the Container defaults', async () => {
    const k = kubectlWorkspace(api.url, 'qc-kubectl');
    try {
      const conflicting = await k.run(['create', 'quota', 'bad', '--hard=pods=1', '--scopes=BestEffort,NotBestEffort']);
      expect(conflicting.code).not.toBe(0);
      expect(conflicting.stderr).toContain(
        'error: failed to create quota: ResourceQuota "bad" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes',
      );
      await k.ok(['create', 'quota', 'scoped', '--hard=openshift.io/imagestreams=0', '--scopes=NotTerminating']);
      await k.ok(['create', '-f', '-'], 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: app}\n');
      const yaml = await k.ok(['get', 'quota', 'scoped', '-o', 'yaml']);
      expect(yaml).toContain('  scopes:\n  - NotTerminating\nstatus:\n  hard:\n    openshift.io/imagestreams: "0"\n  used:\n    openshift.io/imagestreams: "0"\n');
      await k.ok(
        ['create', '-f', '-'],
        'apiVersion: v1\nkind: LimitRange\nmetadata: {name: l}\nspec:\n  limits:\n  - type: Container\n    max: {cpu: "2"}\n    min: {memory: 1Mi}\n  - type: openshift.io/Image\n    max: {storage: 1Gi}\n',
      );
      const described = await k.ok(['describe', 'limits', 'l']);
      expect(described).toMatch(/Container\s+cpu\s+-\s+2\s+2\s+2\s+-/);
      expect(described).toMatch(/Container\s+memory\s+1Mi\s+-\s+1Mi\s+-\s+-/);
      expect(described).toMatch(/openshift.io\/Image\s+storage\s+-\s+1Gi\s+-\s+-\s+-/);
    } finally {
      k.remove();
    }
  });
});

const registrySkip = registryUnavailableReason();
(registrySkip ? describe.skip : describe)('quota conformance on registry pushes (s16)', () => {
  let stack: IngestStack;
  let layout: OciLayout;
  const core = (ns: string, resource: string) => `${stack.api.url}/api/v1/namespaces/${ns}/${resource}`;
  const settled = (repository: string) => settledPush(stack, repository);

  beforeAll(async () => {
    stack = await startIngestStack({ registry: true });
    layout = await OciLayout.create();
    await layout.addImage('img', { seed: 'quota-s16', layerCount: 1 });
  });
  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });

  it('a first push is an ImageStream create: refused by count/imagestreams.image.openshift.io, not by a scoped quota; an import from the registry is not charged count/', async () => {
    await call('POST', core('qc-push', 'resourcequotas'), {
      metadata: { name: 'count' },
      spec: { hard: { 'count/imagestreams.image.openshift.io': '0' } },
    });
    await call('POST', core('qc-push-scoped', 'resourcequotas'), {
      metadata: { name: 'scoped' },
      spec: { hard: { 'openshift.io/imagestreams': '0' }, scopes: ['NotBestEffort'] },
    });
    // The worker sees new quotas within a second.
    await new Promise((r) => setTimeout(r, 1100));
    await skopeoCopy(layout.dir, 'img', `${stack.registry!.host}/qc-push/app:1`);
    await skopeoCopy(layout.dir, 'img', `${stack.registry!.host}/qc-push-scoped/app:1`);
    const refused = await settled('qc-push/app');
    expect(refused.state).toBe('ignored');
    expect(refused.reason).toContain(
      'imagestreams.image.openshift.io "app" is forbidden: exceeded quota: count, requested: count/imagestreams.image.openshift.io=1, used: count/imagestreams.image.openshift.io=0, limited: count/imagestreams.image.openshift.io=0',
    );
    expect((await call('GET', `${stack.api.base}/namespaces/qc-push/imagestreams/app`)).status).toBe(404);
    expect((await settled('qc-push-scoped/app')).state).not.toBe('ignored');
    const pushed = await call('GET', `${stack.api.base}/namespaces/qc-push-scoped/imagestreams/app`);
    expect(pushed.body.status.tags.map((t: { tag: string }) => t.tag)).toEqual(['1']);
    expect((await call('GET', `${core('qc-push-scoped', 'resourcequotas')}/scoped`)).body.status.used).toEqual({
      'openshift.io/imagestreams': '0',
    });

    const isi = await call('POST', `${stack.api.base}/namespaces/qc-push/imagestreamimports`, {
      metadata: { name: 'imported' },
      spec: {
        import: true,
        images: [
          {
            from: { kind: 'DockerImage', name: `${stack.registry!.host}/qc-push-scoped/app:1` },
            to: { name: 'v1' },
            importPolicy: { insecure: true },
          },
        ],
      },
    });
    expect(isi.status).toBe(201);
    expect(isi.body.status.images[0].status.status).toBe('Success');
    expect((await call('GET', `${core('qc-push', 'resourcequotas')}/count`)).body.status.used).toEqual({
      'count/imagestreams.image.openshift.io': '1',
    });
  });
});
