import type { ResourceHandler } from '@app/persistence';
import { coreSecretsInfo, imageStreamSecretsInfo } from '../resources/resource-infos';

/**
 * `GET imagestreams/{name}/secrets`: the namespace's pull secrets upstream. This server keeps no
 * Secrets, so the list is always empty (the stream name is ignored, as upstream). The query is
 * upstream's Secret list options, so selectors are checked as kube-apiserver's Secret list does.
 */
export class ImageStreamSecretsHandler implements ResourceHandler {
  readonly info = imageStreamSecretsInfo;
  readonly getTakesListOptionsOf = coreSecretsInfo;

  async get(_namespace: string, _name: string): Promise<object> {
    return { kind: 'SecretList', apiVersion: 'image.openshift.io/v1', metadata: {}, items: [] };
  }
}
