import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A client's own Audit-ID is echoed when it is a plain token of printable ASCII; otherwise a new one is drawn. */
const ECHOABLE_AUDIT_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The headers kube-apiserver's handler chain puts on every answer, set on the raw response as the
 * request arrives so that every path carries them (Fastify's, the ImageStreamTag front's, watch
 * streams' own writeHead): `Cache-Control: no-cache, private` (WithCacheControl: answers depend on
 * who asks), which an answer that sets its own (discovery's `public`, the token endpoint's
 * `no-store`) replaces; and `Audit-Id` (WithAuditInit: the request's `Audit-ID` if it sent one,
 * else a new UUID), which clients print to correlate an answer with the server's logs.
 */
export function setCommonResponseHeaders(req: IncomingMessage, res: ServerResponse): void {
  const asked = req.headers['audit-id'];
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Audit-Id', typeof asked === 'string' && ECHOABLE_AUDIT_ID.test(asked) ? asked : randomUUID());
}
