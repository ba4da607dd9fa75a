import { goQuote, registryErrorAnswer } from './registry-errcode';

const body = (doc: unknown) => Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
const errors = (...list: unknown[]) => body({ errors: list });

describe('registryErrorAnswer (distribution registry/client HandleErrorResponse, errcode Error())', () => {
  it.each<[string, number, Buffer, string[], string]>([
    // errcode.Errors UnmarshalJSON: the code's own message and no detail leave a bare ErrorCode.
    ['DENIED with its default message', 403, errors({ code: 'DENIED', message: 'requested access to the resource is denied' }), ['DENIED'], 'denied'],
    ['NAME_UNKNOWN with detail', 404, errors({ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name: 'x/y' } }), ['NAME_UNKNOWN'], 'name unknown: repository name not known to registry'],
    ['TOOMANYREQUESTS with its own message', 429, errors({ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }), ['TOOMANYREQUESTS'], 'toomanyrequests: You have reached your pull rate limit.'],
    ['MANIFEST_UNKNOWN with detail', 404, errors({ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }), ['MANIFEST_UNKNOWN'], 'manifest unknown: manifest unknown'],
    ['an empty message', 404, errors({ code: 'MANIFEST_UNKNOWN' }), ['MANIFEST_UNKNOWN'], 'manifest unknown'],
    ['an unregistered code', 400, errors({ code: 'SOMETHING', message: 'odd' }), ['UNKNOWN'], 'unknown: odd'],
    ['two errors', 403, errors({ code: 'DENIED' }, { code: 'UNAUTHORIZED', message: 'x' }), ['DENIED', 'UNAUTHORIZED'], 'errors:\ndenied\nunauthorized: x\n'],
    ['a "details" answer on 429', 429, body({ details: 'slow down' }), ['TOOMANYREQUESTS'], 'toomanyrequests: slow down'],
    ['a "details" answer on 404', 404, body({ details: 'gone' }), ['UNKNOWN'], 'unknown: gone'],
    ['an empty body', 404, body(''), [], 'error parsing HTTP 404 response body: unexpected end of JSON input: ""'],
    ['a text body', 404, body('404 page not found\n'), [], 'error parsing HTTP 404 response body: invalid character \'p\' after top-level value: "404 page not found\\n"'],
    ['an HTML body', 403, body('<html>'), [], 'error parsing HTTP 403 response body: invalid character \'<\' looking for beginning of value: "<html>"'],
    ['no errors', 404, body({ errors: [] }), [], 'error parsing HTTP 404 response body: no error details found in HTTP response body: "{\\"errors\\":[]}"'],
    ['an unreadable 401', 401, body(''), ['UNAUTHORIZED'], 'unauthorized: authentication required'],
  ])('%s', (_what, status, raw, codes, text) => {
    expect(registryErrorAnswer(status, undefined, undefined, raw)).toEqual({ statusCode: status, codes, text });
  });

  it('5xx is an unexpected status, with its status line', () => {
    expect(registryErrorAnswer(503, 'Service Unavailable', undefined, errors({ code: 'UNAVAILABLE' }))).toEqual({
      statusCode: 503,
      codes: [],
      text: 'received unexpected HTTP status: 503 Service Unavailable',
    });
  });

  it('a bearer challenge error comes first, merged with the body', () => {
    const challenge = 'Bearer realm="https://auth/token",error="insufficient_scope"';
    expect(registryErrorAnswer(403, undefined, challenge, errors({ code: 'DENIED' }))).toEqual({
      statusCode: 403,
      codes: ['DENIED', 'DENIED'],
      text: 'errors:\ndenied: requested access to the resource is denied\ndenied\n',
    });
  });

  it('quotes as Go %q', () => {
    expect(goQuote('a"b\\c\n\x01')).toBe('"a\\"b\\\\c\\n\\x01"');
  });
});
