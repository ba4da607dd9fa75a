import type { AppConfig } from './app-config';
import { ConfigError, type Env, envBool, envInt } from './env-readers';

/** Limits and endpoints of image import (ImageStreamImport and the spec-tag import worker). */
export interface ImportConfig {
  /** Per registry HTTP request (REGISTRY_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Whole ImageStreamImport (every registry call of one request); the rest becomes InternalError. */
  importTimeoutMs: number;
  /** spec.images entries per request. */
  maxImages: number;
  /** Tags a repository import takes (maxImagesBulkImportedPerRepository); the rest go to additionalTags. */
  maxRepositoryTags: number;
  /** Entries of one manifest list imported with PreserveOriginal. */
  maxListChildren: number;
  /** Images fetched in parallel within one request. */
  fetchConcurrency: number;
  defaultImportMode: 'Legacy' | 'PreserveOriginal';
  /** The configured registry: imports from it use REGISTRY_URL and its credentials. */
  registryUrl: string;
  registryUsername: string;
  registryPassword: string;
  internalRegistryHostname: string;
  /**
   * API_AUTHENTICATION=true: the configured registry's login reads only what an import may read
   * (see service-credentials.ts); the worker needs the api's setting for its background imports.
   */
  accessControl: boolean;
  /** Worker: outbox poll period and parallel spec-tag imports. */
  relayIntervalMs: number;
  workerConcurrency: number;
  queuePrefix: string;
  /** importPolicy.scheduled: re-import period per tag, 0 = scheduled import disabled. */
  scheduledIntervalSeconds: number;
  /** Scheduled re-imports started per minute at most, over all tags (one worker). */
  scheduledPerMinute: number;
}

const int = envInt;

/** IMPORT_* variables over the shared settings (registry, timeouts, queue prefix) of AppConfig. */
export function loadImportConfig(app: AppConfig, env: Env = process.env): ImportConfig {
  const mode = env['IMPORT_DEFAULT_MODE'] || 'Legacy';
  if (mode !== 'Legacy' && mode !== 'PreserveOriginal') {
    throw new ConfigError('IMPORT_DEFAULT_MODE', `must be Legacy or PreserveOriginal, got "${mode}"`);
  }
  const scheduledDisabled = envBool(env, 'IMPORT_SCHEDULED_DISABLED', false);
  return {
    requestTimeoutMs: app.registryTimeoutMs,
    importTimeoutMs: int(env, 'IMPORT_TIMEOUT_MS', 60_000, 1000, 600_000),
    maxImages: int(env, 'IMPORT_MAX_IMAGES', 50, 1, 1000),
    maxRepositoryTags: int(env, 'IMPORT_MAX_REPOSITORY_TAGS', 50, 1, 1000),
    maxListChildren: int(env, 'IMPORT_MAX_LIST_ENTRIES', 64, 1, 1024),
    fetchConcurrency: int(env, 'IMPORT_FETCH_CONCURRENCY', 4, 1, 64),
    defaultImportMode: mode,
    registryUrl: app.registryUrl,
    registryUsername: app.registryUsername,
    registryPassword: app.registryPassword,
    internalRegistryHostname: app.internalRegistryHostname,
    accessControl: app.apiAuthentication === true,
    relayIntervalMs: int(env, 'IMPORT_RELAY_INTERVAL_MS', 250, 10, 60_000),
    workerConcurrency: int(env, 'IMPORT_CONCURRENCY', 4, 1, 64),
    queuePrefix: app.queuePrefix,
    scheduledIntervalSeconds: scheduledDisabled ? 0 : int(env, 'IMPORT_SCHEDULED_INTERVAL_SECONDS', 900, 5, 7 * 24 * 3600),
    scheduledPerMinute: int(env, 'IMPORT_SCHEDULED_MAX_PER_MINUTE', 60, 1, 100_000),
  };
}

export const IMPORT_CONFIG = Symbol('IMPORT_CONFIG');
