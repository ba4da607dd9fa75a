import { ApiError } from './api-error';
import { isJsonObject } from './json-object';

/**
 * kube-apiserver's update and patch handlers' checkName: the object (as sent, or as patched)
 * must carry the URL's name, an absent or empty one included (400 otherwise), and a namespace,
 * if it names one, the request's. Runs before the store reads the body, so the wording is the
 * handler's, not BeforeUpdate's.
 */
export function checkNameAgainstUrl(body: unknown, namespace: string, name: string): void {
  const meta = isJsonObject(body) && isJsonObject(body['metadata']) ? body['metadata'] : {};
  const rawName = meta['name'];
  const given = rawName === undefined || rawName === null ? '' : typeof rawName === 'string' ? rawName : JSON.stringify(rawName);
  if (given !== name) throw ApiError.badRequest(`the name of the object (${given}) does not match the name on the URL (${name})`);
  const objNamespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
  if (namespace !== '' && objNamespace !== '' && objNamespace !== namespace) {
    throw ApiError.badRequest(`the namespace of the object (${objNamespace}) does not match the namespace on the request (${namespace})`);
  }
}
