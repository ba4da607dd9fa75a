import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { waitFor } from './support/poll';

/**
 * A namespace nobody created and nothing lives in does not exist, as on a cluster: GET is 404, so
 * `kubectl apply -f ns.yaml` creates it (and says so) instead of patching a namespace that only
 * seemed to be there. One that holds objects still reads as Active (objects need no Namespace first).
 */
describe('GET of a namespace that does not exist', () => {
  let api: TestApi;
  const ns = (name: string) => `${api.url}/api/v1/namespaces/${name}`;

  beforeAll(async () => {
    api = await startTestApi({ namespaceTerminationDelayMs: 100 });
  });
  afterAll(async () => {
    await api.close();
  });

  it('is 404 until something lives in it or it is created, and again once it is deleted and emptied', async () => {
    const missing = await call('GET', ns('nobody-here'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'namespaces "nobody-here" not found',
      details: { name: 'nobody-here', kind: 'namespaces' },
    });
    // Writes to it are 404 as well (kubectl label/replace of a mistyped namespace), and create nothing.
    const patched = await call(
      'PATCH',
      ns('nobody-here'),
      { metadata: { labels: { a: 'b' } } },
      'application/merge-patch+json',
    );
    expect(patched.body).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "nobody-here" not found',
    });
    const replaced = await call('PUT', ns('nobody-here'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'nobody-here' },
    });
    expect(replaced.body).toMatchObject({ code: 404, reason: 'NotFound' });
    expect((await call('GET', ns('nobody-here'))).status).toBe(404);

    expect(
      (
        await call('POST', `${api.base}/namespaces/used-implicitly/imagestreams`, {
          metadata: { name: 'web' },
          spec: {},
        })
      ).status,
    ).toBe(201);
    const used = await call('GET', ns('used-implicitly'));
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'used-implicitly' },
      status: { phase: 'Active' },
    });

    expect((await call('DELETE', ns('used-implicitly'))).status).toBe(200);
    await waitFor(
      'the deleted namespace to be gone',
      async () => (await call('GET', ns('used-implicitly'))).status === 404,
    );
    expect((await call('GET', `${api.base}/namespaces/used-implicitly/imagestreams/web`)).status).toBe(404);
  });

  (kubectlFound ? it : it.skip)(
    'kubectl apply -f of a new Namespace creates it, as on a cluster',
    async () => {
      const ws = kubectlWorkspace(api.url);
      try {
        const file = ws.write(
          'ns.yaml',
          'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: applied-fresh\n  labels: {team: web}\n',
        );
        const applied = await ws.run(['apply', '-f', file]);
        expect(applied).toMatchObject({ code: 0, stdout: 'namespace/applied-fresh created\n' });
        // A create records the last-applied annotation, so no "missing annotation" warning.
        expect(applied.stderr).toBe('');
        const stored = await call('GET', ns('applied-fresh'));
        expect(stored.body.metadata.uid).toEqual(expect.any(String));
        expect(
          stored.body.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'],
        ).toContain('applied-fresh');
        expect(await ws.run(['apply', '-f', file])).toMatchObject({
          code: 0,
          stdout: 'namespace/applied-fresh unchanged\n',
        });
        const absent = await ws.run(['get', 'ns', 'never-was']);
        expect(absent.code).not.toBe(0);
        expect(absent.stderr).toContain('Error from server (NotFound): namespaces "never-was" not found');
      } finally {
        ws.remove();
      }
    },
  );
});
