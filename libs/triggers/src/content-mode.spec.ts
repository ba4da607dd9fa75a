import { HTTP } from 'cloudevents';
import { binaryModeHeaders, encodeHeaderValue } from './content-mode';

describe('binary content mode headers', () => {
  it('percent-encodes space, double quote, percent and non-ASCII bytes (HTTP binding §3.1.3.2)', () => {
    expect(encodeHeaderValue('ns/base:v1')).toBe('ns/base:v1');
    expect(encodeHeaderValue('a b"c%d é')).toBe('a%20b%22c%25d%20%C3%A9');
  });

  it('maps datacontenttype to Content-Type and every other attribute to a ce- header the SDK reads back', () => {
    const attributes = { specversion: '1.0', id: 'msg_1', source: '/imagestreamd/x y', type: 't', subject: 'ns/s:t', time: '2026-01-01T00:00:00Z', datacontenttype: 'application/json', causationid: 'msg_0' };
    const headers = binaryModeHeaders(attributes);
    expect(headers).toEqual({
      'ce-specversion': '1.0',
      'ce-id': 'msg_1',
      'ce-source': '/imagestreamd/x%20y',
      'ce-type': 't',
      'ce-subject': 'ns/s:t',
      'ce-time': '2026-01-01T00:00:00Z',
      'content-type': 'application/json',
      'ce-causationid': 'msg_0',
    });
    const event = HTTP.toEvent({ headers, body: '{"a":1}' }) as unknown as { id: string; causationid: string; data: unknown };
    expect(event).toMatchObject({ id: 'msg_1', causationid: 'msg_0', data: { a: 1 } });
  });
});
