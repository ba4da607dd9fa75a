import { ApiError } from '../api-error';
import { apiVersionOf, type ResourceInfo } from '../resource-info';
import { associativeListProblems } from './field-values';
import type { ListShapes } from './list-shapes';
import { isJsonObject } from '../json-object';

/**
 * The checks kube-apiserver makes of a server-side apply configuration before merging it, each a
 * 400: apiVersion and kind given and right, metadata an object without managedFields, the name
 * the URL's, and associative lists without duplicate or missing keys. Shared by every endpoint
 * that applies (stored kinds and the ImageStream status subresource).
 */
export function checkApplyConfiguration(info: ResourceInfo, shapes: ListShapes, body: unknown, namespace: string, name: string): Record<string, unknown> {
  if (!isJsonObject(body)) throw ApiError.badRequest('the apply configuration must be an object');
  const expected = apiVersionOf(info);
  if (body['apiVersion'] !== expected) {
    throw ApiError.badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${typeof body['apiVersion'] === 'string' ? body['apiVersion'] : ''}, expected: ${expected}`,
    );
  }
  if (typeof body['kind'] !== 'string' || body['kind'] === '') throw ApiError.badRequest(`Object 'Kind' is missing in the apply configuration`);
  const meta = body['metadata'];
  if (meta !== undefined && !isJsonObject(meta)) throw ApiError.badRequest('metadata must be an object');
  if (isJsonObject(meta) && meta['managedFields'] !== undefined) throw ApiError.badRequest('metadata.managedFields must be nil');
  if (isJsonObject(meta) && meta['name'] !== undefined && meta['name'] !== name) {
    throw ApiError.badRequest(`the name of the object (${typeof meta['name'] === 'string' ? meta['name'] : JSON.stringify(meta['name'])}) does not match the name on the URL (${name})`);
  }
  const problems = associativeListProblems(body, shapes);
  if (problems.length) {
    const where = `${info.namespaced ? `${namespace}/` : '/'}${name}; ${expected}, Kind=${info.kind}`;
    const detail = problems.length === 1 ? problems[0]! : `errors:\n  ${problems.join('\n  ')}`;
    throw ApiError.badRequest(`failed to create typed patch object (${where}): ${detail}`);
  }
  return body;
}

/** A resourceVersion an apply configuration carries: a precondition on the live object. */
export function appliedResourceVersion(config: Record<string, unknown>): string | undefined {
  const meta = config['metadata'];
  const rv = isJsonObject(meta) ? meta['resourceVersion'] : undefined;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}
