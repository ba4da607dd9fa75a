import type { ResourceInfo } from '@app/api-machinery';

export const IMAGE_GROUP = 'image.openshift.io';
export const IMAGE_VERSION = 'v1';

const storedVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const base = { group: IMAGE_GROUP, version: IMAGE_VERSION, fieldSelectors: [] as string[], mergeKeys: {} };

export const imagesInfo: ResourceInfo = {
  ...base,
  resource: 'images',
  singularName: 'image',
  kind: 'Image',
  listKind: 'ImageList',
  namespaced: false,
  verbs: storedVerbs,
  mergeKeys: { signatures: 'name', 'signatures[].conditions': 'type' },
};

export const imageStreamsInfo: ResourceInfo = {
  ...base,
  resource: 'imagestreams',
  singularName: 'imagestream',
  kind: 'ImageStream',
  listKind: 'ImageStreamList',
  namespaced: true,
  verbs: storedVerbs,
  shortNames: ['is'],
  categories: ['all'],
  fieldSelectors: ['spec.dockerImageRepository', 'status.dockerImageRepository'],
  mergeKeys: { 'spec.tags': 'name', 'status.tags': 'tag', 'status.tags[].conditions': 'type' },
};

export const imageStreamStatusInfo: ResourceInfo = {
  ...imageStreamsInfo,
  resource: 'imagestreams/status',
  singularName: '',
  verbs: ['get', 'patch', 'update'],
  shortNames: undefined,
  categories: undefined,
};

export const imageStreamMappingsInfo: ResourceInfo = {
  ...base,
  resource: 'imagestreammappings',
  singularName: 'imagestreammapping',
  kind: 'ImageStreamMapping',
  listKind: 'ImageStreamMappingList',
  namespaced: true,
  verbs: ['create'],
};
