import { importTargetOf, normalizedReference } from './import-target';
import { orderRepositoryTags, splitRepositoryTags } from './repository-tags';

describe('repository tag order (library-go PrioritizeTags)', () => {
  it.each<[string[], string[]]>([
    // The audit's example: minor versions (X.Y, X.Y-suffix) come before full semver; "2" is no version.
    [
      ['latest', '1.2.3', '1.1', '2', '10.0', 'abc', '1.0-alpine', 'v2.0.1'],
      ['latest', '10.0', '1.1', '1.0-alpine', 'v2.0.1', '1.2.3', '2', 'abc'],
    ],
    // library-go helpers_test.go TestPrioritizeTags
    [
      ['other', 'latest', 'v5.5', '5.2.3', '5.5', 'v5.3.6-bother', '5.3.6-abba', '5.6'],
      ['latest', '5.6', '5.5', 'v5.5', 'v5.3.6-bother', '5.3.6-abba', '5.2.3', 'other'],
    ],
    [
      ['1.1-beta1', '1.2-rc1', '1.1-rc1', '1.1-beta2', '1.2-beta1', '1.2-alpha1', '1.2-beta4', 'latest'],
      ['latest', '1.2-rc1', '1.2-beta4', '1.2-beta1', '1.2-alpha1', '1.1-rc1', '1.1-beta2', '1.1-beta1'],
    ],
    [['7.1', 'v7.1', '7.1.0'], ['7.1', 'v7.1', '7.1.0']],
    [['7.1.0', 'v7.1', '7.1'], ['7.1', 'v7.1', '7.1.0']],
    // Not semver (leading zeros, "_" in a suffix, four parts, bare "v"): lexicographic with the rest.
    [['01.2', '1.2_x', '1.2-a_b', '1.2.3.4', 'v', '1.2'], ['1.2', '01.2', '1.2-a_b', '1.2.3.4', '1.2_x', 'v']],
    // A release ranks above its pre-releases; numeric pre-release parts below alphanumeric ones, by value.
    [['1.0.0-rc.2', '1.0.0', '1.0.0-rc.10', '1.0.0-rc.x', '1.0.0-rc'], ['1.0.0', '1.0.0-rc.x', '1.0.0-rc.10', '1.0.0-rc.2', '1.0.0-rc']],
    // Empty tags count as latest; duplicates go.
    [['b', '', 'a', 'latest', 'a'], ['latest', 'a', 'b']],
  ])('%j', (tags, expected) => {
    expect(orderRepositoryTags(tags)).toEqual(expected);
  });

  it('imports up to the limit and reports the rest as additional tags', () => {
    expect(splitRepositoryTags(['a', 'b', 'latest'], 2)).toEqual({ imported: ['latest', 'a'], additional: ['b'] });
    expect(splitRepositoryTags(['a', 'b'], -1)).toEqual({ imported: ['a', 'b'], additional: [] });
  });
});

describe('importTargetOf', () => {
  it.each([
    ['busybox', { host: 'registry-1.docker.io', repository: 'library/busybox', reference: 'latest', pullSpec: 'busybox' }],
    ['docker.io/org/app:1', { host: 'registry-1.docker.io', repository: 'org/app', reference: '1', pullSpec: 'docker.io/org/app' }],
    ['127.0.0.1:5000/ns/app:v1', { host: '127.0.0.1:5000', repository: 'ns/app', reference: 'v1', pullSpec: '127.0.0.1:5000/ns/app' }],
    ['quay.io/a/b/c@sha256:' + 'e'.repeat(64), { host: 'quay.io', repository: 'a/b/c', reference: 'sha256:' + 'e'.repeat(64), pullSpec: 'quay.io/a/b/c' }],
  ])('%s', (name, expected) => {
    expect(importTargetOf(name)).toEqual(expected);
  });

  it('takes the tag of a repository import', () => {
    expect(importTargetOf('quay.io/a/b', '2.0').reference).toBe('2.0');
  });
});

describe('normalizedReference (how upstream names an image in import errors)', () => {
  it.each([
    ['busybox:nope', 'docker.io/library/busybox:nope'],
    ['busybox@sha256:' + 'a'.repeat(64), 'docker.io/library/busybox@sha256:' + 'a'.repeat(64)],
    ['org/app:1', 'docker.io/org/app:1'],
    ['docker.io/busybox:1', 'docker.io/library/busybox:1'],
    ['index.docker.io/org/app:1', 'docker.io/org/app:1'],
    ['quay.io/org/ruby:nope', 'quay.io/org/ruby:nope'],
    ['127.0.0.1:5000/ns/app:v1', '127.0.0.1:5000/ns/app:v1'],
    ['NOT A NAME', 'NOT A NAME'],
  ])('%s → %s', (name, expected) => {
    expect(normalizedReference(name)).toBe(expected);
  });
});
