import { ApiError } from './api-error';

/**
 * Deepest nesting a request body may have. kube-apiserver's decoder allows 10,000 levels; the
 * strategies, patch engines and field management here walk objects recursively, and well below
 * the JS stack's limit is where that stays safe. Real Kubernetes objects nest a few dozen deep.
 */
export const MAX_BODY_DEPTH = 1000;

/**
 * Makes a decoded body storable in Postgres jsonb, or refuses it with 400, before any work is
 * done with it: deeper than MAX_BODY_DEPTH; a string or key holding U+0000 (valid JSON, but
 * jsonb cannot hold it; `replace` turns it into U+FFFD instead, for senders that would retry a
 * refusal forever); lone UTF-16 surrogates are replaced by U+FFFD, as Go's decoder does.
 * Iterative, so a deep body cannot overflow the stack here.
 */
export function makeStorable(value: unknown, nul: 'refuse' | 'replace' = 'refuse'): unknown {
  const storableString = (s: string) => storable(s, nul);
  if (typeof value === 'string') return storableString(value);
  const stack: { node: Record<string, unknown> | unknown[]; depth: number }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ node: value as Record<string, unknown>, depth: 1 });
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (depth > MAX_BODY_DEPTH) throw ApiError.badRequest(`the request body is nested more than ${MAX_BODY_DEPTH} levels deep`);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v = node[i];
        if (typeof v === 'string') node[i] = storableString(v);
        else if (v !== null && typeof v === 'object') stack.push({ node: v as Record<string, unknown>, depth: depth + 1 });
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      const v = node[key];
      const storableKey = storableString(key);
      if (storableKey !== key) {
        delete node[key];
        node[storableKey] = v;
      }
      if (typeof v === 'string') node[storableKey] = storableString(v);
      else if (v !== null && typeof v === 'object') stack.push({ node: v as Record<string, unknown>, depth: depth + 1 });
    }
  }
  return value;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function storable(s: string, nul: 'refuse' | 'replace'): string {
  let out = s;
  if (out.includes('\u0000')) {
    if (nul === 'refuse') throw ApiError.badRequest('the request body holds a NUL character (\\u0000), which cannot be stored');
    out = out.replaceAll('\u0000', '\uFFFD');
  }
  return out.replace(loneSurrogate, '\uFFFD');
}
