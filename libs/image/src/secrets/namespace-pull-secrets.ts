import type { Queryable } from '@app/persistence';
import type { BasicCredentials } from '@app/registry';
import { dockerConfigEntries, registryKey } from './docker-config';
import { DOCKER_CONFIG_JSON_KEY, DOCKERCFG_KEY, EXCLUDE_IMAGE_SECRET_ANNOTATION, SECRET_TYPE_DOCKER_CONFIG_JSON, SECRET_TYPE_DOCKERCFG } from './secret.types';

/** The registry login an import uses for a host, if a namespace pull secret has one. */
export type PullCredentials = (host: string) => BasicCredentials | undefined;

export const noPullCredentials: PullCredentials = () => undefined;

/**
 * The pull secrets of `namespace` (types kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg,
 * not annotated openshift.io/image.excludeSecret=true), as upstream's ImageStreamImport reads them
 * through imagestreams/secrets, keyed by registry host: the first secret in name order whose
 * `auths` has an entry for the host wins, as upstream's credential store returns the first
 * match. Read once per import; the values stay in memory only.
 */
export async function namespacePullCredentials(q: Queryable, namespace: string): Promise<PullCredentials> {
  const rows = await q.query<{ type: string; data: Record<string, string> | null }>(
    `SELECT body->>'type' AS type, body->'data' AS data FROM secrets
      WHERE namespace = $1 AND body->>'type' IN ($2, $3)
        AND COALESCE(body #>> $4::text[], '') <> 'true'
      ORDER BY name`,
    [namespace, SECRET_TYPE_DOCKER_CONFIG_JSON, SECRET_TYPE_DOCKERCFG, ['metadata', 'annotations', EXCLUDE_IMAGE_SECRET_ANNOTATION]],
    'secrets-pull-credentials',
  );
  const byHost = new Map<string, BasicCredentials>();
  for (const row of rows) {
    const json = row.type === SECRET_TYPE_DOCKER_CONFIG_JSON;
    const value = row.data?.[json ? DOCKER_CONFIG_JSON_KEY : DOCKERCFG_KEY];
    if (typeof value !== 'string') continue;
    for (const entry of dockerConfigEntries(Buffer.from(value, 'base64'), json)) {
      const key = registryKey(entry.registry);
      if (key && !byHost.has(key)) byHost.set(key, entry.credentials);
    }
  }
  return (host) => byHost.get(registryKey(host));
}
