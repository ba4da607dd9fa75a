import type { ApiObject } from '@app/api-machinery';

/** core/v1 Secret as served (data values base64, as on the wire). */
export interface Secret extends ApiObject {
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
  /** Write-only convenience: merged into `data` on every write and never stored. */
  stringData?: Record<string, string>;
}

export const SECRET_TYPE_OPAQUE = 'Opaque';
export const SECRET_TYPE_DOCKERCFG = 'kubernetes.io/dockercfg';
export const SECRET_TYPE_DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
export const DOCKERCFG_KEY = '.dockercfg';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
/** The pull secret types imports read and imagestreams/secrets lists (upstream imagesecret REST). */
export const PULL_SECRET_TYPES = [SECRET_TYPE_DOCKERCFG, SECRET_TYPE_DOCKER_CONFIG_JSON] as const;
/** openshift/api image/v1 ExcludeImageSecretAnnotation: a pull secret imports and imagestreams/secrets skip. */
export const EXCLUDE_IMAGE_SECRET_ANNOTATION = 'openshift.io/image.excludeSecret';
/** kube's core.MaxSecretSize: the decoded data of one Secret at most. */
export const MAX_SECRET_SIZE = 1024 * 1024;
