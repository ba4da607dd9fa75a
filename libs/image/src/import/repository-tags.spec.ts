import { importTargetOf } from './import-target';
import { orderRepositoryTags, splitRepositoryTags } from './repository-tags';

describe('repository tag order', () => {
  it('latest first, then versions newest first, then the rest by name', () => {
    expect(orderRepositoryTags(['beta', '1.2', 'v1.10', 'latest', '1.2-alpine', 'alpha', '2', '', '1.2'])).toEqual([
      'latest',
      '2',
      'v1.10',
      '1.2',
      '1.2-alpine',
      'alpha',
      'beta',
    ]);
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
