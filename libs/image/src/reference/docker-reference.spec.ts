import { digestOrImageMatch, exactReference, parseDockerImageReference } from './docker-reference';

const d = `sha256:${'a'.repeat(64)}`;

describe('parseDockerImageReference', () => {
  it.each([
    ['busybox', { registry: '', namespace: '', name: 'busybox', tag: '', id: '' }],
    ['library/busybox:1', { registry: '', namespace: 'library', name: 'busybox', tag: '1', id: '' }],
    [`quay.io/org/app@${d}`, { registry: 'quay.io', namespace: 'org', name: 'app', tag: '', id: d }],
    ['reg:5000/a/b/c:t', { registry: 'reg:5000', namespace: 'a', name: 'b/c', tag: 't', id: '' }],
    ['localhost/app:1', { registry: 'localhost', namespace: '', name: 'app', tag: '1', id: '' }],
    // library-go isRegistryOnly: one segment with a `.` or a `localhost` prefix is a registry, `:x` its port.
    ['localhost:5000', { registry: 'localhost:5000', namespace: '', name: '', tag: '', id: '' }],
    ['127.0.0.1:18111', { registry: '127.0.0.1:18111', namespace: '', name: '', tag: '', id: '' }],
    ['quay.io', { registry: 'quay.io', namespace: '', name: '', tag: '', id: '' }],
    ['localhostx', { registry: 'localhostx', namespace: '', name: '', tag: '', id: '' }],
    [`quay.io@${d}`, { registry: `quay.io@${d}`, namespace: '', name: '', tag: '', id: d }],
    ['app:5000', { registry: '', namespace: '', name: 'app', tag: '5000', id: '' }],
  ])('%s', (spec, expected) => {
    expect(parseDockerImageReference(spec)).toEqual(expected);
  });

  it.each([
    ['', 'repository name must have at least one component'],
    ['Quay.io/Org/App', 'repository name must be lowercase'],
    ['a//b', 'invalid reference format'],
    ['org/App', 'repository name must be lowercase'],
    ['app@sha256:abc', 'invalid reference format'],
    [`app@sha256:${'a'.repeat(63)}0a`, 'invalid checksum digest length'],
    [`app@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`quay.io/${'a'.repeat(250)}`, 'repository name must not be more than 255 characters'],
    [`quay.io/${'a'.repeat(250)}@sha256:${'a'.repeat(32)}`, 'repository name must not be more than 255 characters'],
  ])('rejects %j: %s', (spec, message) => {
    expect(() => parseDockerImageReference(spec)).toThrow(message);
  });

  it('accepts a name of exactly 255 characters, registry domain included', () => {
    expect(parseDockerImageReference(`quay.io/${'a'.repeat(247)}:t`).name).toHaveLength(247);
  });

  it('prints exactly what is set, digest winning over tag', () => {
    expect(exactReference({ registry: 'r', namespace: 'n', name: 'x', tag: 't', id: d })).toBe(`r/n/x@${d}`);
    expect(exactReference({ registry: '', namespace: '', name: 'x', tag: 't', id: '' })).toBe('x:t');
    // library-go TestDockerImageReferenceString: an id that is not a digest prints as a tag.
    expect(exactReference({ registry: '', namespace: '', name: 'foo', tag: '', id: 'a'.repeat(64) })).toBe(`foo:${'a'.repeat(64)}`);
    expect(exactReference({ registry: 'r', namespace: 'n', name: 'x', tag: 't', id: '10' })).toBe('r/n/x:10');
    // library-go Exact: nothing without a name (a registry-only reference).
    expect(exactReference(parseDockerImageReference('localhost:5000'))).toBe('');
  });

  it('matches image ids by prefix', () => {
    expect(digestOrImageMatch(d, 'sha256:aaa')).toBe(true);
    expect(digestOrImageMatch(d, 'aaaa')).toBe(true);
    expect(digestOrImageMatch(d, 'b')).toBe(false);
  });
});
