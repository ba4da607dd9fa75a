/** Registry hostnames that shape pull specs handed out by the image API. */
export interface ImageApiConfig {
  internalRegistryHostname: string;
  publicRegistryHostname: string;
}

export const IMAGE_API_CONFIG = Symbol('IMAGE_API_CONFIG');
