import type { GroupCommitLimits } from './mapping/one-trip-group-commit';
import type { ImportMode } from '@app/registry';
import type { RegistryAllowList } from './allowed-registries/registry-allow-list';

/** Registry hostnames that shape pull specs handed out by the image API. */
export interface RegistryHostnames {
  internalRegistryHostname: string;
  publicRegistryHostname: string;
}

export interface ImageApiConfig extends RegistryHostnames {
  /** ImageStreamTag views kept in memory per api process (0 = none); see ImageStreamTagReadCache. */
  istagCacheEntries: number;
  /** How concurrent ImageStreamMappings share transactions (see OneTripGroupCommit). */
  mappingGroups: GroupCommitLimits;
  /**
   * importPolicy.importMode of every spec tag and import request that names none (IMPORT_DEFAULT_MODE),
   * as openshift-apiserver defaults TagImportPolicy from its configured imageStreamImportMode.
   */
  defaultImportMode: ImportMode;
  /**
   * allowedRegistriesForImport (IMPORT_ALLOWED_REGISTRIES) with the internal registry; null or
   * absent when the list is empty: every registry allowed and nothing checked.
   */
  allowedRegistries?: RegistryAllowList | null;
}

export const IMAGE_API_CONFIG = Symbol('IMAGE_API_CONFIG');
