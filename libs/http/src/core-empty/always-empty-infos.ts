import type { ResourceInfo } from '@app/api-machinery';

/**
 * Core kinds served always empty (AlwaysEmptyHandler), each for the clients that read it:
 *
 * - Events: `kubectl describe` lists an object's events by field selector, `kubectl events`
 *   lists and watches them. Nothing records events here: a cluster whose events all expired.
 * - Pods: `kubectl describe statefulset|daemonset` lists the workload's pods by label selector
 *   (workloads are stored here for image triggers; nothing runs them).
 * - Services: `kubectl cluster-info` lists kube-system's cluster services by label selector.
 *
 * The field selectors are the ones kube-apiserver accepts for each kind, so a client's selector
 * is refused (400) or accepted as it would be there.
 */
const alwaysEmpty = (resource: string, kind: string, shortNames: string[], fieldSelectors: string[], categories?: string[]): ResourceInfo => ({
  group: '',
  version: 'v1',
  resource,
  singularName: resource.replace(/s$/, ''),
  kind,
  listKind: `${kind}List`,
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  shortNames,
  ...(categories ? { categories } : {}),
  fieldSelectors,
  ownFieldLabelConversion: true,
  mergeKeys: {},
});

export const eventsInfo = alwaysEmpty('events', 'Event', ['ev'], [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
]);

export const podsInfo = alwaysEmpty(
  'pods',
  'Pod',
  ['po'],
  [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  ['all'],
);

export const servicesInfo = alwaysEmpty('services', 'Service', ['svc'], ['spec.clusterIP', 'spec.type'], ['all']);
