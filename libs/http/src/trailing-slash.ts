/**
 * The request URL with one trailing slash of its path removed (`/version/` → `/version`,
 * `/apis/?x=1` → `/apis?x=1`); the root `/` stays.
 *
 * Why: kube-apiserver's router (go-restful) trims the slash before matching, so `/version/`,
 * `/apis/` and `…/imagestreams/` answer as `/version`, `/apis` and the list do, and clients and
 * scripts use both spellings. Rewriting the URL once, before routing, keeps every hook that reads
 * the path (public paths of authentication, `/version`'s indentation, the fast istag GET) on one
 * spelling, which Fastify's own `ignoreTrailingSlash` (routing only) would not.
 */
export function withoutTrailingSlash(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path.length < 2 || !path.endsWith('/')) return url;
  return path.slice(0, -1) + (query < 0 ? '' : url.slice(query));
}
