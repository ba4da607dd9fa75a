/**
 * OCI's base-image annotations (image-spec annotations.md), which builders such as BuildKit write
 * on the image manifest or index: the digest and name of the image this one was built FROM.
 */
export const OciBaseImageAnnotations = {
  digest: 'org.opencontainers.image.base.digest',
  name: 'org.opencontainers.image.base.name',
} as const;

/**
 * The base-image annotations of a manifest document, to keep on its Image: the manifest itself is
 * not stored once the registry holds it (`manifestBlobStored`), and trigger chains link a pushed
 * image to the delivery that built it through them. Other manifest annotations are not copied
 * (OpenShift's Image carries none).
 */
export function baseImageAnnotationsOf(document: { annotations?: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.values(OciBaseImageAnnotations)) {
    const value = document.annotations?.[key];
    if (typeof value === 'string' && value) out[key] = value;
  }
  return out;
}
