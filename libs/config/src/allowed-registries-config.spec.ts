import { loadAllowedRegistries } from './allowed-registries-config';

describe('IMPORT_ALLOWED_REGISTRIES', () => {
  it('is empty when unset or blank (every registry allowed)', () => {
    expect(loadAllowedRegistries({})).toEqual([]);
    expect(loadAllowedRegistries({ IMPORT_ALLOWED_REGISTRIES: ' ' })).toEqual([]);
    expect(loadAllowedRegistries({ IMPORT_ALLOWED_REGISTRIES: '[]' })).toEqual([]);
  });

  it('reads entries, insecure defaulting to false', () => {
    expect(loadAllowedRegistries({ IMPORT_ALLOWED_REGISTRIES: '[{"domainName":"quay.io"},{"domainName":"*.corp:5000","insecure":true}]' })).toEqual([
      { domainName: 'quay.io', insecure: false },
      { domainName: '*.corp:5000', insecure: true },
    ]);
  });

  it.each([
    ['quay.io', 'invalid configuration: IMPORT_ALLOWED_REGISTRIES must be a JSON list of {"domainName": "host[:port]", "insecure": false}: Unexpected token'],
    ['{"domainName":"quay.io"}', 'invalid configuration: IMPORT_ALLOWED_REGISTRIES must be a JSON list'],
    ['["quay.io"]', 'invalid configuration: IMPORT_ALLOWED_REGISTRIES [0] must be an object'],
    ['[{"domain":"quay.io"}]', 'invalid configuration: IMPORT_ALLOWED_REGISTRIES [0] has unknown field "domain"'],
    ['[{"domainName":""}]', 'invalid configuration: IMPORT_ALLOWED_REGISTRIES [0].domainName must be a non-empty string'],
    ['[{"domainName":"a.io","insecure":"yes"}]', 'invalid configuration: IMPORT_ALLOWED_REGISTRIES [0].insecure must be true or false'],
    ['[{"domainName":"a.io"},{"domainName":"0:1:2"}]', 'invalid configuration: IMPORT_ALLOWED_REGISTRIES [1]: failed to parse allowed registry "0:1:2": too many colons'],
  ])('refuses %s, naming the variable', (raw, message) => {
    expect(() => loadAllowedRegistries({ IMPORT_ALLOWED_REGISTRIES: raw })).toThrow(message);
  });
});
