/** A user name and password from an `Authorization: Basic` header (RFC 7617). */
export interface BasicCredentials {
  name: string;
  password: string;
}

/**
 * The credentials of a Basic `authorization`; null when the header is another scheme; 'malformed'
 * when it is Basic but holds no `name:password` (the name ends at the first colon, as RFC 7617 has it;
 * it may be empty, as Go's `Request.BasicAuth` reads it: a registry login with an API token needs no name).
 */
export function parseBasicCredentials(authorization: string): BasicCredentials | null | 'malformed' {
  const basic = /^basic +(\S+)\s*$/i.exec(authorization);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
