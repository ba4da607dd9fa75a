import type { Queryable } from '@app/persistence';
import type { BasicCredentials } from '@app/registry';
import { dockerConfigEntries } from './docker-config';
import { DockerKeyring } from './docker-keyring';
import { DOCKER_CONFIG_JSON_KEY, DOCKERCFG_KEY, EXCLUDE_IMAGE_SECRET_ANNOTATION, SECRET_TYPE_DOCKER_CONFIG_JSON, SECRET_TYPE_DOCKERCFG } from './secret.types';

/** The registry login an import uses for a repository of a registry host, if a namespace pull secret has one. */
export type PullCredentials = (host: string, repository: string) => BasicCredentials | undefined;

export const noPullCredentials: PullCredentials = () => undefined;

/**
 * The pull secrets of `namespace` (types kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg,
 * not annotated openshift.io/image.excludeSecret=true), as upstream's ImageStreamImport reads them
 * through imagestreams/secrets, in one keyring as kube's (docker-keyring.ts): the most specific
 * matching key wins, and for equal keys the first secret in name order. Read once per import;
 * the values stay in memory only.
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
  const keyring = new DockerKeyring();
  for (const row of rows) {
    const json = row.type === SECRET_TYPE_DOCKER_CONFIG_JSON;
    const value = row.data?.[json ? DOCKER_CONFIG_JSON_KEY : DOCKERCFG_KEY];
    if (typeof value === 'string') keyring.add(dockerConfigEntries(Buffer.from(value, 'base64'), json));
  }
  return (host, repository) => keyring.lookup(host, repository);
}
