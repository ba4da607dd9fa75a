import { parseWwwAuthenticate } from './www-authenticate';

describe('parseWwwAuthenticate', () => {
  it.each([
    [
      'distribution token challenge',
      'Bearer realm="http://127.0.0.1:5502/token",service="reglab-registry",scope="repository:myproject/myapp:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'http://127.0.0.1:5502/token',
            service: 'reglab-registry',
            scope: 'repository:myproject/myapp:pull',
          },
        },
      ],
    ],
    [
      'insufficient scope with comma in scope',
      'Bearer realm="https://auth/token",service="reg",scope="repository:a/b:pull,push",error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth/token',
            service: 'reg',
            scope: 'repository:a/b:pull,push',
            error: 'insufficient_scope',
          },
        },
      ],
    ],
    ['basic', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'bare scheme, odd spacing',
      '  bearer  realm = "x" , service=svc ',
      [{ scheme: 'bearer', params: { realm: 'x', service: 'svc' } }],
    ],
    ['escaped quote', 'Basic realm="a \\"b\\""', [{ scheme: 'basic', params: { realm: 'a "b"' } }]],
    [
      'two challenges in one value',
      'Basic realm="r", Bearer realm="t",service="s"',
      [
        { scheme: 'basic', params: { realm: 'r' } },
        { scheme: 'bearer', params: { realm: 't', service: 's' } },
      ],
    ],
    ['nothing', undefined, []],
  ])('%s', (_name, header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });

  it('accepts repeated headers as an array', () => {
    expect(parseWwwAuthenticate(['Basic realm="r"', 'Bearer realm="t"']).map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ]);
  });
});
