/**
 * A `Warning` header value as kube-apiserver sends it: RFC 7234 code 299, agent `-`, the text
 * quoted. client-go (kubectl, the client libraries) shows only values of this shape; a bare
 * text is dropped as malformed.
 */
export function warningHeaderValue(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
