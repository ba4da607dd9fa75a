/**
 * Where each kind covered by OpenShift's image policy keeps its pod spec, by group and resource as
 * an AdmissionReview names them (the plugin's default resolution rules: pods,
 * replicationcontrollers, apps and extensions daemonsets/deployments/replicasets, apps
 * statefulsets, batch jobs and cronjobs, apps.openshift.io deploymentconfigs). PodTemplates carry
 * a pod spec too but no default rule names them, so upstream leaves them alone, as here. Builds
 * keep their images elsewhere (strategy.*.from) and are not covered.
 */
const locations: Record<string, string> = {
  '/pods': 'spec',
  '/replicationcontrollers': 'spec.template.spec',
  'apps/deployments': 'spec.template.spec',
  'apps/replicasets': 'spec.template.spec',
  'apps/daemonsets': 'spec.template.spec',
  'apps/statefulsets': 'spec.template.spec',
  'extensions/deployments': 'spec.template.spec',
  'extensions/replicasets': 'spec.template.spec',
  'extensions/daemonsets': 'spec.template.spec',
  'batch/jobs': 'spec.template.spec',
  'batch/cronjobs': 'spec.jobTemplate.spec.template.spec',
  'apps.openshift.io/deploymentconfigs': 'spec.template.spec',
};

/** The dotted path of the pod spec of objects of this resource, or null when the policy does not cover it. */
export function podSpecLocation(group: string, resource: string): string | null {
  return locations[`${group}/${resource}`] ?? null;
}

/** Resources whose pod template cannot change after creation: their images are not rewritten on update (as upstream). */
export function immutablePodTemplate(group: string, resource: string): boolean {
  return group === 'batch' && resource === 'jobs';
}

/** Resources the default execution rule (`execution-denied`) applies to: pods (and builds, not served here). */
export function executionRuleCovers(group: string, resource: string): boolean {
  return group === '' && resource === 'pods';
}
