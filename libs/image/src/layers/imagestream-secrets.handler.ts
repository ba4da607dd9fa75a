import { type ApiObject, apiVersionOf, type ListOptions } from '@app/api-machinery';
import type { ResourceHandler } from '@app/persistence';
import { coreSecretsInfo, imageStreamSecretsInfo } from '../resources/resource-infos';
import type { SecretHandler } from '../secrets/secret.store';
import { EXCLUDE_IMAGE_SECRET_ANNOTATION, PULL_SECRET_TYPES, type Secret } from '../secrets/secret.types';

/**
 * `GET imagestreams/{name}/secrets`: the namespace's pull secrets, as upstream's imagesecret REST
 * lists them: the core Secret list with the request's list options (so selectors are read as
 * kube-apiserver's Secret list reads them), keeping the dockercfg and dockerconfigjson Secrets not
 * annotated openshift.io/image.excludeSecret=true. The stream name is ignored, as upstream. Items
 * come from the Secret list, so they carry no data (see redactSecret).
 */
export class ImageStreamSecretsHandler implements ResourceHandler {
  readonly info = imageStreamSecretsInfo;
  readonly getTakesListOptionsOf = coreSecretsInfo;

  constructor(private readonly secrets: SecretHandler) {}

  async get(namespace: string, _name: string, options?: ListOptions): Promise<object> {
    const listed = await this.secrets.list({ labelSelector: [], fieldSelector: [], ...options, namespace });
    const items = (listed.items as Secret[])
      .filter((s) => (PULL_SECRET_TYPES as readonly string[]).includes(s.type ?? ''))
      .filter((s) => s.metadata.annotations?.[EXCLUDE_IMAGE_SECRET_ANNOTATION] !== 'true')
      // As a list's items: no kind/apiVersion.
      .map(({ kind: _k, apiVersion: _a, ...rest }) => rest as ApiObject);
    // The Secret list's metadata as upstream converts it (continue, remainingItemCount): a page
    // filtered down to nothing still lets the client ask for the next one.
    return { kind: 'SecretList', apiVersion: apiVersionOf(this.info), metadata: { ...listed.metadata }, items };
  }
}
