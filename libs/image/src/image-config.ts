import type { ImportMode } from '@app/registry';

/** Registry hostnames that shape pull specs handed out by the image API. */
export interface RegistryHostnames {
  internalRegistryHostname: string;
  publicRegistryHostname: string;
}

export interface ImageApiConfig extends RegistryHostnames {
  /** ImageStreamTag views kept in memory per api process (0 = none); see ImageStreamTagReadCache. */
  istagCacheEntries: number;
  /**
   * importPolicy.importMode of every spec tag and import request that names none (IMPORT_DEFAULT_MODE),
   * as openshift-apiserver defaults TagImportPolicy from its configured imageStreamImportMode.
   */
  defaultImportMode: ImportMode;
}

export const IMAGE_API_CONFIG = Symbol('IMAGE_API_CONFIG');
