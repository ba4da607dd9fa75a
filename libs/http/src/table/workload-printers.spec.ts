import { selectorText, workloadPrinters } from './workload-printers';

const now = new Date('2026-12-01T06:00:00Z');
const meta = { name: 'web', namespace: 'demo', creationTimestamp: '2026-12-01T05:58:00Z' };
const template = { spec: { containers: [{ name: 'app', image: 'nginx:2' }, { name: 'sidecar', image: 'envoy:1' }], nodeSelector: { disk: 'ssd' } } };

describe('workload printers (kubectl get deploy, sts, ds, cj)', () => {
  it('prints Deployments as kube-apiserver does, counting only what status reports', () => {
    const p = workloadPrinters['apps/deployments']!;
    expect(p.columns.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0], ['Ready', 0], ['Up-to-date', 0], ['Available', 0], ['Age', 0], ['Containers', 1], ['Images', 1], ['Selector', 1],
    ]);
    const d = { metadata: meta, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    expect(p.cells(d, now)).toEqual(['web', '2/3', 3, 2, '2m', 'app,sidecar', 'nginx:2,envoy:1', 'app=web']);
    // No status (nothing runs them here) and replicas defaulted to 1, as the API defaults it.
    expect(p.cells({ metadata: meta, spec: { template } }, now).slice(1, 4)).toEqual(['0/1', 0, 0]);
  });

  it('prints StatefulSets, DaemonSets and CronJobs', () => {
    expect(workloadPrinters['apps/statefulsets']!.cells({ metadata: meta, spec: { replicas: 2, template } }, now)).toEqual(['web', '0/2', '2m', 'app,sidecar', 'nginx:2,envoy:1']);
    const ds = workloadPrinters['apps/daemonsets']!.cells({ metadata: meta, spec: { template }, status: { desiredNumberScheduled: 4, numberReady: 3 } }, now);
    expect(ds.slice(0, 8)).toEqual(['web', 4, 0, 3, 0, 0, 'disk=ssd', '2m']);
    const cj = { metadata: meta, spec: { schedule: '*/5 * * * *', suspend: true, jobTemplate: { spec: { template } } }, status: { active: [{ name: 'web-1' }] } };
    expect(workloadPrinters['batch/cronjobs']!.cells(cj, now).slice(0, 7)).toEqual(['web', '*/5 * * * *', '<none>', true, 1, '<none>', '2m']);
  });

  it('prints selectors the way kubectl writes them', () => {
    expect(selectorText({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }, { key: 'gone', operator: 'DoesNotExist' }] })).toBe(
      'a=1,b=2,!gone,tier in (x,y)',
    );
    expect(selectorText(undefined)).toBe('<none>');
  });
});
