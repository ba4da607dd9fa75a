import type { ApiObject, ResourceInfo } from '@app/api-machinery';

/** core/v1 Namespace, as kubectl and client libraries read and write it. */
export interface Namespace extends ApiObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: 'Active' | 'Terminating'; conditions?: unknown[] };
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
};
