/** Direct registry HTTP calls tests need besides pushing (plain HTTP, loopback). */
import { MANIFEST_ACCEPT } from '@app/registry';
import { request } from 'undici';

/** DELETE a manifest by digest (2.8 cannot delete by tag). Emits a delete event plus one per tag. */
export async function deleteManifest(registryUrl: string, repository: string, digest: string): Promise<void> {
  const res = await request(`${registryUrl}/v2/${repository}/manifests/${digest}`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.body.text();
  if (res.statusCode !== 202) throw new Error(`DELETE ${repository}@${digest}: ${res.statusCode} ${body}`);
}

/** Digest a tag points at (HEAD with every manifest type accepted), or null if the tag is unknown. */
export async function resolveTag(
  registryUrl: string,
  repository: string,
  tag: string,
): Promise<string | null> {
  const res = await request(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
    signal: AbortSignal.timeout(10_000),
  });
  await res.body.dump();
  if (res.statusCode === 404) return null;
  const digest = res.headers['docker-content-digest'];
  if (res.statusCode !== 200 || typeof digest !== 'string') {
    throw new Error(`HEAD ${repository}:${tag}: ${res.statusCode}, digest ${String(digest)}`);
  }
  return digest;
}
