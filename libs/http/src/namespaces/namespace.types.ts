import type { ApiObject, ResourceInfo } from '@app/api-machinery';

/** core/v1 Namespace, as kubectl and client libraries read and write it. */
export interface Namespace extends ApiObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: 'Active' | 'Terminating'; conditions?: NamespaceCondition[] };
}

/** core/v1 NamespaceCondition. */
export interface NamespaceCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** The label every namespace carries with its own name (kube-apiserver sets it; selectors use it). */
export const NAME_LABEL = 'kubernetes.io/metadata.name';

export const namespacesInfo: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  singularName: 'namespace',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  namespaced: false,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  shortNames: ['ns'],
  fieldSelectors: ['status.phase'],
  ownFieldLabelConversion: true,
  mergeKeys: {},
  // namespaceStrategy.AllowUnconditionalUpdate: a PUT without resourceVersion overwrites.
  allowUnconditionalUpdate: true,
};

/** `namespaces/{name}/status`: get, update and patch of the status alone. */
export const namespaceStatusInfo: ResourceInfo = {
  ...namespacesInfo,
  resource: 'namespaces/status',
  singularName: '',
  verbs: ['get', 'patch', 'update'],
  shortNames: undefined,
  fieldSelectors: [],
};

/** `namespaces/{name}/finalize`: an update of spec.finalizers (what the namespace controller clears). */
export const namespaceFinalizeInfo: ResourceInfo = {
  ...namespacesInfo,
  resource: 'namespaces/finalize',
  singularName: '',
  verbs: ['update'],
  shortNames: undefined,
  fieldSelectors: [],
};
