/** One entry of a token's `access` claim (distribution's ResourceActions). */
export interface TokenAccess {
  type: string;
  /** From `repository(plugin):...`; absent when the scope had none. */
  class?: string;
  name: string;
  actions: string[];
}

/** A token request over this server's limits (too many scopes, or one too long): 400. */
export class ScopeError extends Error {}

const TYPE = /^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$/;

/**
 * Scopes one token request may ask for. Every scope is copied into the signed token and its
 * answer, and the endpoint is open to anonymous callers: a 4 MiB OAuth2 form of 100 000 scopes held
 * the event loop for 6 s and came back as 21 MB. Clients ask for a handful (a repository, plus one
 * per repository a blob is mounted from).
 */
export const MAX_SCOPES = 256;

/** Characters of one scope: a repository name is at most 255 (distribution's NameTotalLengthMax), plus type and actions. */
export const MAX_SCOPE_LENGTH = 1024;

/**
 * Parses the `scope` query parameters of a token request as distribution does: a parameter may
 * hold several scopes separated by spaces; in each, the type (with an optional `(class)`) comes
 * first and the comma-separated actions last, and the name is everything in between (it may
 * itself hold colons, e.g. a registry host with a port). Repeated scopes are kept as sent.
 * A scope that is not `type[(class)]:name:actions` is left out, not an error: distribution's
 * reference token server (contrib/token-server, ResolveScopeSpecifiers) ignores a malformed scope
 * specifier and answers the others, and the token spec makes a refusal no error of the token
 * server's (the registry answers `insufficient_scope`). It still counts against MAX_SCOPES.
 */
export function parseScopes(params: string[]): TokenAccess[] {
  const scopes: TokenAccess[] = [];
  let counted = 0;
  for (const param of params) {
    for (const scope of param.split(' ')) {
      if (scope === '') continue;
      if (scope.length > MAX_SCOPE_LENGTH) throw new ScopeError(`invalid scope ${JSON.stringify(`${scope.slice(0, 64)}…`)}: longer than ${MAX_SCOPE_LENGTH} characters`);
      if (counted === MAX_SCOPES) throw new ScopeError(`too many scopes: at most ${MAX_SCOPES} in one token request`);
      counted += 1;
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      const type = first > 0 && last > first ? TYPE.exec(scope.slice(0, first)) : null;
      const name = scope.slice(first + 1, last);
      if (!type || name === '') continue;
      const actions = scope.slice(last + 1).split(',').filter((a) => a !== '');
      scopes.push({ type: type[1]!, ...(type[2] ? { class: type[2] } : {}), name, actions });
    }
  }
  return scopes;
}

/**
 * The OAuth2 answer's `scope`: what the token grants, space-separated, in the request's order
 * (distribution's token spec: "the scope granted inside the access token ... the same scope as
 * requested or a subset"). A scope granted no action is left out, as is a refused action.
 */
export function grantedScope(access: TokenAccess[]): string {
  return access
    .filter((a) => a.actions.length > 0)
    .map((a) => `${a.type}${a.class ? `(${a.class})` : ''}:${a.name}:${a.actions.join(',')}`)
    .join(' ');
}
