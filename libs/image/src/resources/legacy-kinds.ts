import { registerKnownTypes } from '@app/api-machinery';

/**
 * The image kinds openshift-apiserver's scheme also holds in the core group's `v1` (its legacy,
 * "ungroupified" install from the days of /oapi). A body naming one of them with `apiVersion: v1`
 * decodes there, so the server words its refusal by version or conversion, not by lookup.
 */
const LEGACY_IMAGE_KINDS = [
  'Image',
  'ImageList',
  'ImageSignature',
  'ImageStream',
  'ImageStreamList',
  'ImageStreamMapping',
  'ImageStreamTag',
  'ImageStreamTagList',
  'ImageStreamImage',
  'ImageStreamImport',
] as const;

export function registerLegacyImageKinds(): void {
  registerKnownTypes('v1', LEGACY_IMAGE_KINDS);
}
