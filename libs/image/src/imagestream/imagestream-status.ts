import type { RegistryHostnames } from '../image-config';
import type { ImageStream } from './imagestream.types';

/** status.dockerImageRepository: the internal registry location, else the spec repository. */
export function dockerImageRepositoryOf(stream: ImageStream, config: RegistryHostnames): string {
  const { namespace, name } = stream.metadata;
  if (config.internalRegistryHostname) return `${config.internalRegistryHostname}/${namespace}/${name}`;
  return stream.spec?.dockerImageRepository ?? '';
}

export function publicDockerImageRepositoryOf(stream: ImageStream, config: RegistryHostnames): string | undefined {
  const { namespace, name } = stream.metadata;
  return config.publicRegistryHostname ? `${config.publicRegistryHostname}/${namespace}/${name}` : undefined;
}
