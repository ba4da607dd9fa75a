import { parseDockerImageReference } from '../reference/docker-reference';
import { type AllowedRegistry, canonicalRepository, RegistryAllowList, type RegistryTransport, wildcardMatch } from './registry-allow-list';

const secure = (...names: string[]): AllowedRegistry[] => names.map((domainName) => ({ domainName }));
const insecure = (...names: string[]): AllowedRegistry[] => names.map((domainName) => ({ domainName, insecure: true }));
const refusal = (list: RegistryAllowList, pullSpec: string, transport: RegistryTransport, exempt?: Set<string>) =>
  list.refusal(parseDockerImageReference(pullSpec), transport, exempt);

describe('wildcardMatch', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['a.b.foo.com', '*.foo.com', true],
    ['foo.com', '*.foo.com', false],
    ['mydomain.ltd', '*domain.ltd', true],
    ['5000', '*', true],
    ['', '*', true],
    ['500', '50?', true],
    ['50', '50?', false],
    ['Example.com', 'example.com', false],
    ['abcabd', '*abd', true],
  ])('%s against %s: %s', (s, p, want) => {
    expect(wildcardMatch(s, p)).toBe(want);
  });
});

describe('canonicalRepository', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox'],
    ['busybox:glibc', 'docker.io/library/busybox'],
    ['docker.io/busybox@sha256:1303dbf110c57f3edf68d9f5a16c082ec06c4cf7604831669faf2c712260b5a0', 'docker.io/library/busybox'],
    ['library/busybox:1', 'docker.io/library/busybox'],
    ['registry.local:5000/openshift/httpd:2', 'registry.local:5000/openshift/httpd'],
  ])('%s → %s', (spec, want) => {
    expect(canonicalRepository(parseDockerImageReference(spec))).toBe(want);
  });
});

describe('RegistryAllowList: ports and insecure defaults', () => {
  const anySecure = RegistryAllowList.exactly(secure('*'));
  const anyInsecure = RegistryAllowList.exactly(insecure('*'));
  it.each<[RegistryAllowList, RegistryTransport, string, string | null]>([
    // A secure entry without a port is :443; a reference without one is :443 when read securely.
    [anySecure, 'secure', 'localhost/a/b', null],
    [anySecure, 'secure', 'localhost:443/a/b', null],
    [anySecure, 'secure', 'localhost:5000/a/b', 'registry "localhost:5000" not allowed by whitelist: "*:443"'],
    [anySecure, 'secure', 'localhost:80/a/b', 'registry "localhost:80" not allowed by whitelist: "*:443"'],
    // An insecure entry without a port is :80.
    [anyInsecure, 'secure', 'localhost/a/b', 'registry "localhost" not allowed by whitelist: "*:80"'],
    [anyInsecure, 'insecure', 'localhost/a/b', null],
    [anyInsecure, 'insecure', 'localhost:443/a/b', 'registry "localhost:443" not allowed by whitelist: "*:80"'],
    // Read as `any` (an insecure reference), no port matches entries on 80, 443 or *.
    [anyInsecure, 'any', 'localhost/a/b', null],
    [anySecure, 'any', 'localhost/a/b', null],
    [RegistryAllowList.exactly(secure('localhost:8*')), 'any', 'localhost/a/b', 'registry "localhost" not allowed by whitelist: "localhost:8*"'],
    [RegistryAllowList.exactly(secure('localhost:*')), 'any', 'localhost/a/b', null],
    [anyInsecure, 'any', 'localhost:5000/a/b', 'registry "localhost:5000" not allowed by whitelist: "*:80"'],
    // Explicit ports and port globs.
    [RegistryAllowList.exactly(secure('*:*')), 'secure', 'localhost:5000/a/b', null],
    [RegistryAllowList.exactly(secure('example.com:*')), 'secure', 'example.com:5000/a/b', null],
    [RegistryAllowList.exactly(secure('registry.com:80')), 'secure', 'registry.com/a/b', 'registry "registry.com" not allowed by whitelist: "registry.com:80"'],
    [RegistryAllowList.exactly(secure('registry.com:80')), 'any', 'registry.com/a/b', null],
    [RegistryAllowList.exactly(secure('reg:50?0')), 'secure', 'reg:5010/a/b', null],
  ])('%#: %s %s', (list, transport, spec, want) => {
    expect(refusal(list, spec, transport)).toBe(want);
  });
});

describe('RegistryAllowList: globs and Docker Hub aliases', () => {
  const list = RegistryAllowList.exactly(secure('localhost:5000', 'docker.io', 'example.com:*', 'registry.com:80', '*.foo.com', '*domain.ltd'));
  const shown = '"localhost:5000", "docker.io:443", "example.com:*", "registry.com:80", and 2 more ...';
  it.each<[string, RegistryTransport, string | null]>([
    ['busybox', 'secure', null],
    ['docker.io/library/busybox', 'secure', null],
    ['index.docker.io/library/busybox', 'secure', null],
    ['registry-1.docker.io/library/busybox', 'secure', null],
    ['registry-1.docker.io:443/library/busybox', 'secure', null],
    ['docker.io/library/busybox', 'any', null],
    ['index.docker.io/library/busybox', 'any', null],
    ['a.b.c.foo.com/x', 'secure', null],
    ['a.b.c.foo.com:80/x', 'secure', `registry "a.b.c.foo.com:80" not allowed by whitelist: ${shown}`],
    ['foo.com/x', 'secure', `registry "foo.com" not allowed by whitelist: ${shown}`],
    ['my.domain.ltd/x', 'any', null],
    ['my.domain.ltd:443/x', 'any', null],
    ['my.domain.ltd:80/x', 'any', `registry "my.domain.ltd:80" not allowed by whitelist: ${shown}`],
    ['Example.com/x', 'secure', `registry "Example.com" not allowed by whitelist: ${shown}`],
  ])('%s read as %s', (spec, transport, want) => {
    expect(refusal(list, spec, transport)).toBe(want);
  });

  it('matches docker.io entries for the Hub aliases only, not the other way round', () => {
    const hubV2 = RegistryAllowList.exactly(secure('registry-1.docker.io'));
    expect(refusal(hubV2, 'busybox', 'secure')).toBe('registry "docker.io:443" not allowed by whitelist: "registry-1.docker.io:443"');
    expect(refusal(hubV2, 'docker.io/library/busybox', 'secure')).toBeNull();
    expect(refusal(RegistryAllowList.exactly(secure('docker.io:*')), 'registry-1.docker.io:5000/a/b', 'secure')).toBeNull();
  });
});

describe('RegistryAllowList: refusal wording', () => {
  it('lists up to 5 registries, else the first 4 and how many more', () => {
    const five = RegistryAllowList.exactly(secure('a.io', 'b.io:*', 'c.io:80', 'd.io', 'e.io'));
    expect(refusal(five, 'x.io/a', 'secure')).toBe('registry "x.io" not allowed by whitelist: "a.io:443", "b.io:*", "c.io:80", "d.io:443", "e.io:443"');
    const six = RegistryAllowList.exactly(secure('a.io', 'b.io:*', 'c.io:80', 'd.io', 'e.io', 'f.io'));
    expect(refusal(six, 'x.io/a', 'secure')).toBe('registry "x.io" not allowed by whitelist: "a.io:443", "b.io:*", "c.io:80", "d.io:443", and 2 more ...');
  });

  it('names a reference without a registry by the default it was read as', () => {
    const list = RegistryAllowList.exactly(secure('quay.io'));
    expect(refusal(list, 'busybox', 'secure')).toBe('registry "docker.io:443" not allowed by whitelist: "quay.io:443"');
    expect(refusal(list, 'busybox', 'any')).toBe('registry "docker.io" not allowed by whitelist: "quay.io:443"');
  });

  it('says "empty whitelist" only for a list with no entry at all', () => {
    expect(refusal(RegistryAllowList.exactly([]), 'example.com/a', 'secure')).toBe('registry "example.com" not allowed by empty whitelist');
  });

  it('drops an exact duplicate entry, keeping the later position', () => {
    const list = RegistryAllowList.exactly(secure('a.io', 'b.io', 'a.io'));
    expect(refusal(list, 'x.io/a', 'secure')).toBe('registry "x.io" not allowed by whitelist: "b.io:443", "a.io:443"');
  });
});

describe('RegistryAllowList.fromConfig', () => {
  it('is null for an empty list: every registry allowed', () => {
    expect(RegistryAllowList.fromConfig([], 'registry.local:5000')).toBeNull();
  });

  it('always allows the internal registry, listed first', () => {
    const list = RegistryAllowList.fromConfig(secure('quay.io'), 'registry.local:5000')!;
    expect(refusal(list, 'registry.local:5000/ns/app', 'secure')).toBeNull();
    expect(refusal(list, 'evil.io/ns/app', 'secure')).toBe('registry "evil.io" not allowed by whitelist: "registry.local:5000", "quay.io:443"');
    // Without a port the internal registry counts as a secure entry (:443).
    expect(refusal(RegistryAllowList.fromConfig(secure('quay.io'), 'registry.local')!, 'registry.local/ns/app', 'secure')).toBeNull();
  });

  it('refuses a domainName with more than one colon, as upstream words it', () => {
    expect(() => RegistryAllowList.fromConfig(secure('0:1:2:3'), '')).toThrow('failed to parse allowed registry "0:1:2:3": too many colons');
  });
});

describe('RegistryAllowList: exempt repositories (references an update keeps)', () => {
  const list = RegistryAllowList.exactly(secure('registry.example.org:5000'));
  const digest = 'sha256:01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b';
  it.each<[string, string[], boolean]>([
    [`example.com/image@${digest}`, [], false],
    [`example.com/image@${digest}`, ['example.com/image'], true],
    [`example.com/bar@${digest}`, ['example.com/foo'], false],
    ['busybox:2', ['docker.io/library/busybox'], true],
  ])('%s with %j exempt: allowed %s', (spec, exempt, allowed) => {
    expect(refusal(list, spec, 'secure', new Set(exempt)) === null).toBe(allowed);
  });
});
