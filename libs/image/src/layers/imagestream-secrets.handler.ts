import type { ResourceHandler } from '@app/persistence';
import { imageStreamSecretsInfo } from '../resources/resource-infos';

/**
 * `GET imagestreams/{name}/secrets`: the namespace's pull secrets upstream. This server keeps no
 * Secrets, so the list is always empty (the stream name is ignored, as upstream).
 */
export class ImageStreamSecretsHandler implements ResourceHandler {
  readonly info = imageStreamSecretsInfo;

  async get(_namespace: string, _name: string): Promise<object> {
    return { kind: 'SecretList', apiVersion: 'image.openshift.io/v1', metadata: {}, items: [] };
  }
}
