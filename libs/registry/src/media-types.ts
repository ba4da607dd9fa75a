/**
 * Media types of the Docker Registry HTTP API v2 / OCI distribution world.
 * Values are the exact strings registries send in Content-Type and in manifests.
 */
export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',

  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',

  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

export type MediaType = (typeof MediaTypes)[keyof typeof MediaTypes];

/** Single-image manifests this project converts into Images. */
export const IMAGE_MANIFEST_TYPES: readonly string[] = [MediaTypes.dockerManifest, MediaTypes.ociManifest];

/** Multi-platform manifests (their children are image manifests). */
export const MANIFEST_LIST_TYPES: readonly string[] = [MediaTypes.dockerManifestList, MediaTypes.ociIndex];

export const SCHEMA1_TYPES: readonly string[] = [MediaTypes.dockerSchema1, MediaTypes.dockerSchema1Signed];

/**
 * Accept header for manifest GET/HEAD. It must list OCI types: distribution 2.8 answers
 * MANIFEST_UNKNOWN for an OCI manifest when the client does not accept it. Schema1 is listed
 * last so old registries answer with it and we can report it as unsupported instead of 404.
 */
export const MANIFEST_ACCEPT: string = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
  MediaTypes.dockerSchema1Signed,
  MediaTypes.dockerSchema1,
].join(', ');

/** Strips parameters (`; charset=utf-8`) and normalises case of a Content-Type value. */
export function normalizeMediaType(value: string | undefined | null): string {
  if (!value) return '';
  return value.split(';')[0]!.trim().toLowerCase();
}
