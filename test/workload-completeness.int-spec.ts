import { call } from '@app/testing';
import { pythonClientFixture, pythonClientUnavailableReason } from './support/python-client';

/**
 * Workloads are stored as sent, but what kube-apiserver would refuse is answered with Warnings,
 * and a Deployment sent without its selector gets one selecting its pod template's labels, so the
 * Python client's typed AppsV1Api (whose models require `spec.selector`) can still list the
 * namespace.
 */
const skipReason = pythonClientUnavailableReason();
const suite = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`test/workload-completeness.int-spec.ts skipped: ${skipReason}`);

const script = `
import json, sys
from kubernetes import client, config
cfg = client.Configuration()
config.load_kube_config(config_file=sys.argv[1], client_configuration=cfg)
apps = client.AppsV1Api(client.ApiClient(configuration=cfg))
out = {}
try:
    items = apps.list_namespaced_deployment('wl').items
    out['deployments'] = {d.metadata.name: d.spec.selector.match_labels for d in items}
except Exception as e:
    out['error'] = repr(e)
print(json.dumps(out))
`;

suite('workloads kube-apiserver would refuse', () => {
  const python = pythonClientFixture(script);
  const deployments = () => `${python.api().url}/apis/apps/v1/namespaces/wl/deployments`;
  const deployment = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec });
  const containers = [{ name: 'web', image: 'nginx' }];

  it('a Deployment without a selector selects its template labels, and typed clients can list it', async () => {
    const created = await call('POST', deployments(), deployment('minimal', { template: { metadata: { labels: { app: 'web' } }, spec: { containers } } }));
    expect(created.status).toBe(201);
    expect(created.body.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(created.headers.get('warning')).toBeNull();
    const complete = await call('POST', deployments(), deployment('complete', { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers } } }));
    expect(complete.status).toBe(201);

    expect(await python.run()).toEqual({ deployments: { complete: { app: 'api' }, minimal: { app: 'web' } } });
  });

  it('answers a Warning for each rule kube-apiserver would refuse, and stores the object as sent', async () => {
    const bare = await call('POST', deployments(), deployment('bare', { template: { spec: { containers: [] } } }));
    expect(bare.status).toBe(201);
    expect(bare.body.spec.selector).toBeUndefined();
    const warning = bare.headers.get('warning') ?? '';
    expect(warning).toContain('spec.selector: Required value (kube-apiserver would refuse this Deployment');
    expect(warning).toContain('spec.template.spec.containers: Required value');

    const mismatch = await call('POST', deployments(), deployment('mismatch', { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers } } }));
    expect(mismatch.status).toBe(201);
    expect(mismatch.headers.get('warning')).toContain('spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`');

    const cron = await call('POST', `${python.api().url}/apis/batch/v1/namespaces/wl/cronjobs`, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: { jobTemplate: { spec: { template: { spec: { containers } } } } },
    });
    expect(cron.status).toBe(201);
    expect(cron.headers.get('warning')).toContain('spec.schedule: Required value');
    expect(cron.headers.get('warning')).toContain('restartPolicy: Unsupported value: \\"Always\\"');
  });
});
