/** Annotation keys from openshift/api image/v1 consts.go. */
export const ImageAnnotations = {
  dockerLayersOrder: 'image.openshift.io/dockerLayersOrder',
  manifestBlobStored: 'image.openshift.io/manifestBlobStored',
  managed: 'openshift.io/image.managed',
} as const;

/**
 * Annotations the integrated registry puts on Images it creates for pushes: layers are ascending,
 * raw manifest/config stay in registry storage, and prune may treat the image as managed.
 * Returns a fresh object each call so callers can extend it.
 */
export function registryPushedImageAnnotations(): Record<string, string> {
  return {
    [ImageAnnotations.dockerLayersOrder]: 'ascending',
    [ImageAnnotations.manifestBlobStored]: 'true',
    [ImageAnnotations.managed]: 'true',
  };
}
