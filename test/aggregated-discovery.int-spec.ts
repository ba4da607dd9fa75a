import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';

/** What client-go (kubectl 1.32) sends to /api and /apis: aggregated discovery first, plain JSON as the fallback. */
const clientGoAccept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('aggregated discovery (apidiscovery.k8s.io APIGroupDiscoveryList)', () => {
  let api: TestApi;
  const get = (path: string, headers: Record<string, string>) => fetch(`${api.url}${path}`, { headers });
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('/apis answers every group in one document, subresources nested under their resource', async () => {
    const res = await get('/apis', { accept: clientGoAccept });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(res.headers.get('vary')).toBe('Accept');
    const doc = (await res.json()) as any;
    expect([doc.kind, doc.apiVersion]).toEqual(['APIGroupDiscoveryList', 'apidiscovery.k8s.io/v2']);
    const image = doc.items.find((g: any) => g.metadata.name === 'image.openshift.io');
    expect(image.versions.map((v: any) => [v.version, v.freshness])).toEqual([['v1', 'Current']]);
    const streams = image.versions[0].resources.find((r: any) => r.resource === 'imagestreams');
    expect(streams).toMatchObject({
      responseKind: { group: 'image.openshift.io', version: 'v1', kind: 'ImageStream' },
      scope: 'Namespaced',
      singularResource: 'imagestream',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['is'],
      categories: ['all'],
    });
    expect(streams.subresources).toContainEqual({ subresource: 'status', responseKind: { group: 'image.openshift.io', version: 'v1', kind: 'ImageStream' }, verbs: ['get', 'patch', 'update'] });
    const images = image.versions[0].resources.find((r: any) => r.resource === 'images');
    expect(images.scope).toBe('Cluster');
    expect(image.versions[0].resources.some((r: any) => r.resource.includes('/'))).toBe(false);
    expect(doc.items.some((g: any) => g.metadata.name === undefined)).toBe(false);
  });

  it('/api answers the core group (no name); v2beta1 is served too; a matching If-None-Match is 304', async () => {
    const core = (await (await get('/api', { accept: clientGoAccept })).json()) as any;
    expect(core.items).toHaveLength(1);
    expect(core.items[0].metadata).toEqual({ creationTimestamp: null });
    expect(core.items[0].versions[0].resources.map((r: any) => r.resource)).toEqual([
      'configmaps',
      'endpoints',
      'events',
      'limitranges',
      'namespaces',
      'persistentvolumeclaims',
      'persistentvolumes',
      'pods',
      'replicationcontrollers',
      'resourcequotas',
      'secrets',
      'services',
    ]);
    const beta = await get('/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' });
    expect(beta.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    expect(((await beta.json()) as any).apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    const etag = (await get('/apis', { accept: clientGoAccept })).headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect((await get('/apis', { accept: clientGoAccept, 'if-none-match': etag })).status).toBe(304);
    // If-None-Match as Go's ServeContent reads it: a list, and weak tags compared by value.
    expect((await get('/apis', { accept: clientGoAccept, 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
  });

  it('plain JSON clients still get APIGroupList and APIVersions', async () => {
    expect(((await (await get('/apis', { accept: 'application/json, */*' })).json()) as any).kind).toBe('APIGroupList');
    const versions = (await (await get('/api', {})).json()) as any;
    expect(versions.kind).toBe('APIVersions');
    // The address the client reached, as kube-apiserver names its own (never an empty string).
    expect(versions.serverAddressByClientCIDRs).toEqual([{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(api.url).host }]);
  });

  (kubectlFound ? it : it.skip)('kubectl api-resources reads the two aggregated documents and nothing else', async () => {
    const ws = kubectlWorkspace(api.url);
    try {
      const run = await ws.run(['api-resources', '-v=6']);
      expect(run.code).toBe(0);
      const requests = run.stderr.split('\n').filter((l) => l.includes('round_trippers') && l.includes(' GET '));
      expect(requests.map((l) => new URL(/GET (\S+)/.exec(l)![1]!).pathname)).toEqual(['/api', '/apis']);
      expect(run.stdout).toMatch(/^imagestreams\s+is\s+image\.openshift\.io\/v1\s+true\s+ImageStream$/m);
    } finally {
      ws.remove();
    }
  });
});
