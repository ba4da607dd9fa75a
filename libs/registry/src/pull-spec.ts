/**
 * `host:port/ns/name:tag` or `...@sha256:...` → `host:port/ns/name@<digest>`.
 * The tag is whatever follows `:` in the last path segment, so a registry port is left alone.
 */
export function referenceByDigest(pullSpec: string, digest: string): string {
  const withoutDigest = pullSpec.split('@')[0]!;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', slash + 1);
  const repository = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
  return `${repository}@${digest}`;
}
