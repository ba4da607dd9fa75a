import { registerKnownTypes } from '@app/api-machinery';

/**
 * Workload kinds kube-apiserver's scheme still holds in the beta versions it stopped serving. A
 * body naming one of them decodes there, so its refusal is worded by version (the API version in
 * the data … does not match), not by a failed lookup.
 */
export function registerOlderWorkloadKinds(): void {
  registerKnownTypes('apps/v1beta1', ['Deployment', 'StatefulSet']);
  registerKnownTypes('apps/v1beta2', ['Deployment', 'StatefulSet', 'DaemonSet']);
  registerKnownTypes('extensions/v1beta1', ['Deployment', 'DaemonSet']);
  registerKnownTypes('batch/v1beta1', ['CronJob']);
}
