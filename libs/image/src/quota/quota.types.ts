import type { ApiObject, ResourceInfo } from '@app/api-machinery';

/** Resource names → quantities (canonical text once stored). */
export type ResourceList = Record<string, string>;

/** core/v1 LimitRangeItem. */
export interface LimitRangeItem {
  type?: string;
  max?: ResourceList;
  min?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

/** core/v1 LimitRange. */
export interface LimitRange extends ApiObject {
  spec?: { limits?: LimitRangeItem[] };
}

export interface ScopedResourceSelectorRequirement {
  scopeName?: string;
  operator?: string;
  values?: string[];
}

/** core/v1 ResourceQuota. */
export interface ResourceQuota extends ApiObject {
  spec?: {
    hard?: ResourceList;
    scopes?: string[];
    scopeSelector?: { matchExpressions?: ScopedResourceSelectorRequirement[] };
  };
  status?: { hard?: ResourceList; used?: ResourceList };
}

/** openshift/api image/v1: the LimitRange types and resource names the image API enforces. */
export const LIMIT_TYPE_IMAGE = 'openshift.io/Image';
export const LIMIT_TYPE_IMAGE_STREAM = 'openshift.io/ImageStream';
export const RESOURCE_IMAGE_STREAM_IMAGES = 'openshift.io/images';
export const RESOURCE_IMAGE_STREAM_TAGS = 'openshift.io/image-tags';
export const RESOURCE_STORAGE = 'storage';
/** The quota resources that count image streams: OpenShift's name and the generic object count. */
export const RESOURCE_IMAGE_STREAMS = 'openshift.io/imagestreams';
export const RESOURCE_IMAGE_STREAMS_COUNT = 'count/imagestreams.image.openshift.io';
export const STREAM_COUNT_RESOURCES = [RESOURCE_IMAGE_STREAMS, RESOURCE_IMAGE_STREAMS_COUNT];

const storedVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const limitRangesInfo: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'limitranges',
  singularName: 'limitrange',
  kind: 'LimitRange',
  listKind: 'LimitRangeList',
  namespaced: true,
  verbs: storedVerbs,
  shortNames: ['limits'],
  fieldSelectors: [],
  mergeKeys: {},
  allowUnconditionalUpdate: true,
};

export const resourceQuotasInfo: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'resourcequotas',
  singularName: 'resourcequota',
  kind: 'ResourceQuota',
  listKind: 'ResourceQuotaList',
  namespaced: true,
  verbs: storedVerbs,
  shortNames: ['quota'],
  fieldSelectors: [],
  mergeKeys: {},
  allowUnconditionalUpdate: true,
};

export const resourceQuotaStatusInfo: ResourceInfo = {
  ...resourceQuotasInfo,
  resource: 'resourcequotas/status',
  singularName: '',
  verbs: ['get', 'patch', 'update'],
  shortNames: undefined,
};
