import type { ResourceInfo } from '@app/api-machinery';

/**
 * Kinds served always empty (AlwaysEmptyHandler), each for the clients that read it:
 *
 * - Events: `kubectl describe` lists an object's events by field selector, `kubectl events`
 *   lists and watches them. Nothing records events here: a cluster whose events all expired.
 * - Pods: `kubectl describe statefulset|daemonset` lists the workload's pods by label selector
 *   (workloads are stored here for image triggers; nothing runs them).
 * - Services: `kubectl cluster-info` lists kube-system's cluster services by label selector.
 * - The rest of kubectl's default prune list (kubectl pkg/util/prune): `kubectl apply --prune`
 *   without `--prune-allowlist` maps every kind on that list before it applies anything, and
 *   fails when one is missing from discovery. It then lists each by label selector.
 *
 * The field selectors are the ones kube-apiserver accepts for each kind, so a client's selector
 * is refused (400) or accepted as it would be there, worded as there (ResourceInfo.ownFieldLabelConversion).
 */
/** What differs between the kinds; the rest is the same for all (read-only, v1, kube's derived names). */
type AlwaysEmptyKind = Pick<ResourceInfo, 'resource' | 'kind'> &
  Partial<Pick<ResourceInfo, 'group' | 'namespaced' | 'shortNames' | 'categories' | 'fieldSelectors' | 'ownFieldLabelConversion' | 'fieldLabelWording'>>;

const alwaysEmpty = ({ group = '', namespaced = true, fieldSelectors = [], ...rest }: AlwaysEmptyKind): ResourceInfo => ({
  ...rest,
  group,
  version: 'v1',
  singularName: rest.kind.toLowerCase(),
  listKind: `${rest.kind}List`,
  namespaced,
  verbs: ['get', 'list', 'watch'],
  fieldSelectors,
  mergeKeys: {},
});

export const eventsInfo = alwaysEmpty({
  resource: 'events',
  kind: 'Event',
  shortNames: ['ev'],
  fieldSelectors: [
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
  ],
  ownFieldLabelConversion: true,
});

export const podsInfo = alwaysEmpty({
  resource: 'pods',
  kind: 'Pod',
  shortNames: ['po'],
  categories: ['all'],
  fieldSelectors: [
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
  ownFieldLabelConversion: true,
});

export const servicesInfo = alwaysEmpty({
  resource: 'services',
  kind: 'Service',
  shortNames: ['svc'],
  categories: ['all'],
  fieldSelectors: ['spec.clusterIP', 'spec.type'],
  ownFieldLabelConversion: true,
});

/** The kinds of kubectl's default prune list that nothing else here serves. */
export const pruneListInfos: readonly ResourceInfo[] = [
  alwaysEmpty({ resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  alwaysEmpty({ resource: 'endpoints', kind: 'Endpoints', shortNames: ['ep'] }),
  alwaysEmpty({ resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', shortNames: ['pvc'] }),
  alwaysEmpty({ resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'] }),
  alwaysEmpty({
    resource: 'replicationcontrollers',
    kind: 'ReplicationController',
    shortNames: ['rc'],
    categories: ['all'],
    fieldSelectors: ['status.replicas'],
    ownFieldLabelConversion: true,
  }),
  alwaysEmpty({ group: 'apps', resource: 'replicasets', kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'] }),
  alwaysEmpty({
    group: 'batch',
    resource: 'jobs',
    kind: 'Job',
    categories: ['all'],
    fieldSelectors: ['status.successful'],
    ownFieldLabelConversion: true,
    fieldLabelWording: (field) => `field label ${JSON.stringify(field)} not supported for Job`,
  }),
  alwaysEmpty({ group: 'networking.k8s.io', resource: 'ingresses', kind: 'Ingress', shortNames: ['ing'] }),
];
