import type { Workload } from './trigger.types';
import { defaultWorkloadSelector, workloadCompletenessWarnings } from './workload-completeness';

const fields = (kind: Parameters<typeof workloadCompletenessWarnings>[0], spec: unknown) => workloadCompletenessWarnings(kind, spec).map((w) => w.slice(0, w.indexOf(':')));
const template = (labels?: Record<string, string>, containers: unknown[] = [{ name: 'web', image: 'nginx' }]) => ({
  ...(labels ? { metadata: { labels } } : {}),
  spec: { containers },
});

describe('workloadCompletenessWarnings', () => {
  it('is silent for what kube-apiserver takes', () => {
    expect(workloadCompletenessWarnings('Deployment', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web', tier: 'a' }) })).toEqual([]);
    expect(workloadCompletenessWarnings('DaemonSet', { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, template: template({ app: 'api' }) })).toEqual([]);
    const job = { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'job' }] } } } } };
    expect(workloadCompletenessWarnings('CronJob', job)).toEqual([]);
  });

  it('names each apps/v1 rule the spec breaks, worded as kube-apiserver', () => {
    expect(fields('Deployment', undefined)).toEqual(['spec.selector', 'spec.template']);
    expect(fields('StatefulSet', { template: template() })).toEqual(['spec.selector']);
    expect(fields('Deployment', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'api' }, []) })).toEqual(['spec.template.metadata.labels', 'spec.template.spec.containers']);
    const [empty] = workloadCompletenessWarnings('Deployment', { selector: {}, template: template({ app: 'web' }) });
    expect(empty).toBe('spec.selector: Invalid value: {}: empty selector is invalid for deployment (kube-apiserver would refuse this Deployment; it is stored as sent)');
  });

  it('asks a CronJob for a schedule, containers and a restartPolicy its Jobs may have', () => {
    expect(fields('CronJob', { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job' }] } } } } })).toEqual([
      'spec.schedule',
      'spec.jobTemplate.spec.template.spec.restartPolicy',
    ]);
    expect(workloadCompletenessWarnings('CronJob', { schedule: '@daily', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job' }] } } } } })[0]).toMatch(
      /^spec\.jobTemplate\.spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/,
    );
    expect(fields('CronJob', { schedule: '@daily' })).toEqual(['spec.jobTemplate.spec.template']);
  });
});

describe('defaultWorkloadSelector', () => {
  const workload = (spec: Record<string, unknown>): Workload => ({ metadata: { name: 'w' }, spec });

  it('selects the pod template labels when an apps/v1 object has no selector', () => {
    const w = workload({ template: template({ app: 'web' }) });
    defaultWorkloadSelector('Deployment', w);
    expect(w.spec!['selector']).toEqual({ matchLabels: { app: 'web' } });
    expect(workloadCompletenessWarnings('Deployment', w.spec)).toEqual([]);
  });

  it('leaves a given selector, a template without labels and CronJobs alone', () => {
    const given = workload({ selector: { matchLabels: { app: 'x' } }, template: template({ app: 'web' }) });
    defaultWorkloadSelector('StatefulSet', given);
    expect(given.spec!['selector']).toEqual({ matchLabels: { app: 'x' } });
    const unlabelled = workload({ template: template() });
    defaultWorkloadSelector('DaemonSet', unlabelled);
    expect(unlabelled.spec!['selector']).toBeUndefined();
    const cron = workload({ jobTemplate: { spec: { template: template({ app: 'job' }) } } });
    defaultWorkloadSelector('CronJob', cron);
    expect(cron.spec!['selector']).toBeUndefined();
  });
});
