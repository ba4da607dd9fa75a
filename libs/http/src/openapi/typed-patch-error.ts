import { ApiError, isJsonObject, type ResourceInfo } from '@app/api-machinery';

/**
 * A field path as structured-merge-diff prints it: a leading dot per field, and a list element by
 * its merge key where the list has one (`.spec.tags[name="latest"].form`), else by index.
 * `path` is unknownFields' form (`spec.tags[0].form`); `mergeKeys` the kind's, by dotted list path
 * with `[]` for enclosing lists (`signatures[].conditions`).
 */
export function structuredFieldPath(path: string, body: unknown, mergeKeys: Record<string, string>): string {
  let out = '';
  let shape = '';
  let cursor: unknown = body;
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (key !== undefined) {
      out += `.${key}`;
      shape = shape ? `${shape}.${key}` : key;
      cursor = isJsonObject(cursor) ? cursor[key] : undefined;
      continue;
    }
    const item: unknown = Array.isArray(cursor) ? cursor[Number(index)] : undefined;
    const mergeKey = mergeKeys[shape];
    out += mergeKey && isJsonObject(item) && item[mergeKey] !== undefined ? `[${mergeKey}=${JSON.stringify(item[mergeKey])}]` : `[${index}]`;
    shape += '[]';
    cursor = item;
  }
  return out;
}

/**
 * Server-side apply of a configuration with fields its schema does not declare. kube-apiserver
 * types the configuration before anything else (apimachinery's structured merge), which fails
 * whatever `fieldValidation` says: `failed to create typed patch object (<ns>/<name>; <group>/<version>,
 * Kind=<kind>): .spec.tagz: field not declared in schema` (several as `errors:` then one indented
 * line each). kube answers that with a 500 of no reason (kubernetes/kubernetes#139253); it is the
 * client's mistake, so here it is a 400 BadRequest with the same message.
 */
export function typedPatchObjectError(info: ResourceInfo, body: unknown, unknown: string[]): ApiError {
  const doc = isJsonObject(body) ? body : {};
  const meta = isJsonObject(doc['metadata']) ? doc['metadata'] : {};
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const apiVersion = text(doc['apiVersion']) || (info.group ? `${info.group}/${info.version}` : info.version);
  const groupVersion = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
  const kind = text(doc['kind']) || info.kind;
  const errors = unknown.map((p) => `${structuredFieldPath(p, body, info.mergeKeys)}: field not declared in schema`);
  const detail = errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
  return ApiError.badRequest(`failed to create typed patch object (${text(meta['namespace'])}/${text(meta['name'])}; ${groupVersion}, Kind=${kind}): ${detail}`);
}
