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

/** Signatures of an Image, written one at a time (`<imageName>@<signatureName>`); never read here. */
export const imageSignaturesInfo: ResourceInfo = {
  ...base,
  resource: 'imagesignatures',
  singularName: 'imagesignature',
  kind: 'ImageSignature',
  listKind: 'ImageSignatureList',
  namespaced: false,
  verbs: ['create', 'delete'],
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
  // openshift/api image/v1: spec.tags and status.tags merge by key; a tag's status conditions carry no
  // patchMergeKey, so a strategic merge patch replaces them whole and server-side apply owns them as one.
  mergeKeys: { 'spec.tags': 'name', 'status.tags': 'tag' },
  // A new v1.ImageStream as Go serialises it: lookupPolicy.local and status.dockerImageRepository have no omitempty.
  emptyObject: { spec: { lookupPolicy: { local: false } }, status: { dockerImageRepository: '' } },
};

export const imageStreamStatusInfo: ResourceInfo = {
  ...imageStreamsInfo,
  resource: 'imagestreams/status',
  singularName: '',
  verbs: ['get', 'patch', 'update'],
  shortNames: undefined,
  categories: undefined,
  noTable: true,
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

/** Create-only: a registry lookup (and, with spec.import, a stream write); never stored. */
export const imageStreamImportsInfo: ResourceInfo = {
  ...base,
  resource: 'imagestreamimports',
  singularName: 'imagestreamimport',
  kind: 'ImageStreamImport',
  listKind: 'ImageStreamImportList',
  namespaced: true,
  verbs: ['create'],
};

const tagViewVerbs = ['create', 'delete', 'get', 'list', 'patch', 'update'];

export const imageStreamTagsInfo: ResourceInfo = {
  ...base,
  resource: 'imagestreamtags',
  singularName: 'imagestreamtag',
  kind: 'ImageStreamTag',
  listKind: 'ImageStreamTagList',
  namespaced: true,
  verbs: tagViewVerbs,
  shortNames: ['istag'],
  // A new v1.ImageStreamTag as Go serialises it (tag, generation, lookupPolicy and image have no omitempty).
  emptyObject: { tag: null, generation: 0, lookupPolicy: { local: false }, image: { metadata: { creationTimestamp: null } } },
};

export const imageTagsInfo: ResourceInfo = {
  ...base,
  resource: 'imagetags',
  singularName: 'imagetag',
  kind: 'ImageTag',
  listKind: 'ImageTagList',
  namespaced: true,
  verbs: tagViewVerbs,
  shortNames: ['itag'],
  // A new v1.ImageTag as Go serialises it (spec, status and image are pointers without omitempty).
  emptyObject: { spec: null, status: null, image: null },
};

export const imageStreamImagesInfo: ResourceInfo = {
  ...base,
  resource: 'imagestreamimages',
  singularName: 'imagestreamimage',
  kind: 'ImageStreamImage',
  listKind: 'ImageStreamImageList',
  namespaced: true,
  verbs: ['get'],
  shortNames: ['isimage'],
};

export const imageStreamLayersInfo: ResourceInfo = {
  ...base,
  resource: 'imagestreams/layers',
  singularName: '',
  kind: 'ImageStreamLayers',
  listKind: 'ImageStreamLayersList',
  namespaced: true,
  verbs: ['get'],
  noTable: true,
};

/**
 * core/v1 Secrets (stored: see secrets/secret.store.ts); imagestreams/secrets forwards its query
 * to their list. kube-apiserver's own field label conversion for Secrets accepts `type` besides
 * the metadata fields. Bodies carry secrets: errors never quote them.
 */
export const coreSecretsInfo: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'secrets',
  singularName: 'secret',
  kind: 'Secret',
  listKind: 'SecretList',
  namespaced: true,
  verbs: storedVerbs,
  fieldSelectors: ['type'],
  ownFieldLabelConversion: true,
  mergeKeys: {},
  granularMaps: ['data'],
  secretBodies: true,
  allowUnconditionalUpdate: true,
};

export const imageStreamSecretsInfo: ResourceInfo = {
  ...base,
  resource: 'imagestreams/secrets',
  singularName: '',
  kind: 'SecretList',
  listKind: 'SecretList',
  namespaced: true,
  verbs: ['get'],
  noTable: true,
};
