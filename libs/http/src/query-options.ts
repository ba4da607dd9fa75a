import {
  ApiError,
  type DeleteOptions,
  type ListOptions,
  parseFieldSelector,
  parseLabelSelector,
  type ResourceInfo,
  type WriteOptions,
} from '@app/api-machinery';

export type Query = Record<string, string | string[] | undefined>;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function bool(q: Query, name: string): boolean {
  const v = one(q, name);
  return v === 'true' || v === '1';
}

function nonNegativeInt(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw ApiError.badRequest(`${name}: invalid value "${v}": must be a non-negative integer`);
  return Number(v);
}

export function listOptionsOf(q: Query, info: ResourceInfo, namespace: string | undefined): ListOptions {
  return {
    namespace,
    labelSelector: parseLabelSelector(one(q, 'labelSelector')),
    fieldSelector: parseFieldSelector(one(q, 'fieldSelector'), ['metadata.name', 'metadata.namespace', ...info.fieldSelectors]),
    limit: nonNegativeInt(q, 'limit'),
    continueToken: one(q, 'continue') || undefined,
  };
}

export interface WatchParams {
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
}

export function isWatch(q: Query): boolean {
  return bool(q, 'watch');
}

export function watchParamsOf(q: Query): WatchParams {
  const rv = one(q, 'resourceVersion');
  if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) {
    throw ApiError.badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  }
  return {
    resourceVersion: rv || undefined,
    timeoutSeconds: nonNegativeInt(q, 'timeoutSeconds'),
    allowWatchBookmarks: bool(q, 'allowWatchBookmarks'),
  };
}

export function writeOptionsOf(q: Query): WriteOptions {
  const dryRun = q['dryRun'];
  const values = Array.isArray(dryRun) ? dryRun : dryRun !== undefined ? [dryRun] : [];
  for (const v of values) {
    if (v !== 'All') throw ApiError.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  const validation = one(q, 'fieldValidation');
  if (validation !== undefined && !['Ignore', 'Warn', 'Strict', ''].includes(validation)) {
    throw ApiError.badRequest(`fieldValidation: Unsupported value: "${validation}": supported values: "Ignore", "Strict", "Warn"`);
  }
  return { dryRun: values.length > 0 };
}

export function deleteOptionsOf(q: Query, body: Record<string, unknown>): DeleteOptions {
  const options: DeleteOptions = writeOptionsOf(q);
  const bodyDryRun = body['dryRun'];
  if (Array.isArray(bodyDryRun) && bodyDryRun.includes('All')) options.dryRun = true;
  const pre = body['preconditions'];
  if (pre && typeof pre === 'object') {
    const p = pre as { uid?: unknown; resourceVersion?: unknown };
    options.preconditions = {
      uid: typeof p.uid === 'string' ? p.uid : undefined,
      resourceVersion: typeof p.resourceVersion === 'string' ? p.resourceVersion : undefined,
    };
  }
  return options;
}
