import { storageKeyOf } from './uid-precondition';

describe('storageKeyOf: the etcd key a failed precondition names', () => {
  it.each([
    [{ group: 'image.openshift.io', resource: 'imagestreams' }, 'demo', 'app', '/openshift.io/imagestreams/demo/app'],
    [{ group: 'image.openshift.io', resource: 'images' }, '', 'sha256:abc', '/openshift.io/images/sha256:abc'],
    [{ group: '', resource: 'secrets' }, 'demo', 'pull', '/registry/secrets/demo/pull'],
    [{ group: 'apps', resource: 'deployments' }, 'demo', 'web', '/registry/deployments/demo/web'],
    [{ group: 'triggers.imagestreamd.io', resource: 'triggers' }, 'demo', 'rebuild', '/registry/triggers.imagestreamd.io/triggers/demo/rebuild'],
  ])('%o %s/%s → %s', (ref, namespace, name, key) => {
    expect(storageKeyOf(ref, namespace, name)).toBe(key);
  });
});
