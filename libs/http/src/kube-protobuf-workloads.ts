import type { Namespace } from 'protobufjs';
import { protoMessage as message } from './proto-message';

/**
 * The workload kinds this server stores for their image triggers, in Kubernetes' protobuf
 * encoding, as `kubectl create deployment|cronjob` sends them: the fields those commands and
 * typical pod templates set (names, labels, selector, replicas, schedule, containers with image,
 * command, args, ports, env, pull policy). Field numbers are k8s.io/api's `generated.proto`
 * (apps/v1, batch/v1, core/v1); fields not declared here are skipped by the decoder.
 * Added to the `k8s` namespace, which declares ObjectMeta; returns the protobuf type of each
 * `<apiVersion>/<kind>`.
 */
export function addWorkloadTypes(k8s: Namespace): Record<string, string> {
  k8s
    .add(message('LabelSelectorRequirement', [['key', 1, 'string'], ['operator', 2, 'string'], ['values', 3, 'string', 'repeated']]))
    .add(message('LabelSelector', [['matchExpressions', 2, 'LabelSelectorRequirement', 'repeated']], { stringMaps: [['matchLabels', 1]] }))
    // hostPort is left out: Go writes its zero value, which the JSON form omits.
    .add(message('ContainerPort', [['name', 1, 'string'], ['containerPort', 3, 'int32'], ['protocol', 4, 'string'], ['hostIP', 5, 'string']]))
    .add(message('EnvVar', [['name', 1, 'string'], ['value', 2, 'string']]))
    .add(
      message('Container', [
        ['name', 1, 'string'],
        ['image', 2, 'string'],
        ['command', 3, 'string', 'repeated'],
        ['args', 4, 'string', 'repeated'],
        ['workingDir', 5, 'string'],
        ['ports', 6, 'ContainerPort', 'repeated'],
        ['env', 7, 'EnvVar', 'repeated'],
        ['imagePullPolicy', 14, 'string'],
      ]),
    )
    .add(message('LocalObjectReference', [['name', 1, 'string']]))
    .add(
      message(
        'PodSpec',
        [
          ['containers', 2, 'Container', 'repeated'],
          ['initContainers', 20, 'Container', 'repeated'],
          ['restartPolicy', 3, 'string'],
          ['serviceAccountName', 8, 'string'],
          ['imagePullSecrets', 15, 'LocalObjectReference', 'repeated'],
        ],
        { stringMaps: [['nodeSelector', 7]] },
      ),
    )
    .add(message('PodTemplateSpec', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'PodSpec']]))
    .add(message('DeploymentStrategy', [['type', 1, 'string']]))
    .add(
      message('DeploymentSpec', [
        ['replicas', 1, 'int32'],
        ['selector', 2, 'LabelSelector'],
        ['template', 3, 'PodTemplateSpec'],
        ['strategy', 4, 'DeploymentStrategy'],
        ['revisionHistoryLimit', 6, 'int32'],
      ]),
    )
    .add(message('Deployment', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'DeploymentSpec']]))
    .add(
      message('StatefulSetSpec', [
        ['replicas', 1, 'int32'],
        ['selector', 2, 'LabelSelector'],
        ['template', 3, 'PodTemplateSpec'],
        ['serviceName', 5, 'string'],
      ]),
    )
    .add(message('StatefulSet', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'StatefulSetSpec']]))
    .add(message('DaemonSetSpec', [['selector', 1, 'LabelSelector'], ['template', 2, 'PodTemplateSpec']]))
    .add(message('DaemonSet', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'DaemonSetSpec']]))
    .add(message('JobSpec', [['parallelism', 1, 'int32'], ['completions', 2, 'int32'], ['backoffLimit', 7, 'int32'], ['template', 6, 'PodTemplateSpec']]))
    .add(message('JobTemplateSpec', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'JobSpec']]))
    .add(
      message('CronJobSpec', [
        ['schedule', 1, 'string'],
        ['timeZone', 8, 'string'],
        ['concurrencyPolicy', 3, 'string'],
        ['suspend', 4, 'bool'],
        ['jobTemplate', 5, 'JobTemplateSpec'],
        ['successfulJobsHistoryLimit', 6, 'int32'],
        ['failedJobsHistoryLimit', 7, 'int32'],
      ]),
    )
    .add(message('CronJob', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'CronJobSpec']]));
  return {
    'apps/v1/Deployment': 'k8s.Deployment',
    'apps/v1/StatefulSet': 'k8s.StatefulSet',
    'apps/v1/DaemonSet': 'k8s.DaemonSet',
    'batch/v1/CronJob': 'k8s.CronJob',
  };
}
