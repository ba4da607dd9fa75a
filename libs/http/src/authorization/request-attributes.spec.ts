import { requestAttributesOf, reviewAttributesOf } from './request-attributes';

const IS = '/apis/image.openshift.io/v1';

describe('requestAttributesOf (kube-apiserver RequestInfo)', () => {
  it.each([
    ['GET', `${IS}/namespaces/p/imagestreams/foo`, { verb: 'get', group: 'image.openshift.io', version: 'v1', resource: 'imagestreams', name: 'foo', namespace: 'p', subresource: '' }],
    ['GET', `${IS}/namespaces/p/imagestreams`, { verb: 'list', resource: 'imagestreams', name: '', namespace: 'p' }],
    ['GET', `${IS}/namespaces/p/imagestreams?watch=true&resourceVersion=5`, { verb: 'watch', resource: 'imagestreams', namespace: 'p' }],
    ['GET', `${IS}/namespaces/p/imagestreams?watch=0`, { verb: 'list' }],
    ['GET', `${IS}/namespaces/p/imagestreams?watch=False`, { verb: 'list' }],
    ['GET', `${IS}/namespaces/p/imagestreams?watch=1&fieldSelector=metadata.name%3Dweb`, { verb: 'watch', name: 'web' }],
    ['GET', `${IS}/namespaces/p/imagestreams?fieldSelector=metadata.name!%3Dweb`, { verb: 'list', name: '' }],
    ['GET', `${IS}/watch/namespaces/p/imagestreams`, { verb: 'watch', resource: 'imagestreams', namespace: 'p', name: '' }],
    ['GET', `${IS}/watch/namespaces/p/imagestreams/web`, { verb: 'watch', resource: 'imagestreams', namespace: 'p', name: 'web' }],
    ['GET', `${IS}/imagestreams`, { verb: 'list', resource: 'imagestreams', namespace: '' }],
    ['GET', `${IS}/images/sha256:abc`, { verb: 'get', resource: 'images', name: 'sha256:abc', namespace: '' }],
    ['PUT', `${IS}/namespaces/p/imagestreams/foo/status`, { verb: 'update', resource: 'imagestreams', name: 'foo', subresource: 'status' }],
    ['GET', `${IS}/namespaces/p/imagestreams/foo/layers`, { verb: 'get', subresource: 'layers' }],
    ['POST', `${IS}/namespaces/p/imagestreams`, { verb: 'create', name: '' }],
    ['PATCH', `${IS}/namespaces/p/imagestreams/foo`, { verb: 'patch' }],
    ['DELETE', `${IS}/namespaces/p/imagestreams/foo`, { verb: 'delete' }],
    ['DELETE', `${IS}/namespaces/p/imagestreams`, { verb: 'deletecollection' }],
    ['HEAD', `${IS}/namespaces/p/imagestreams/foo`, { verb: 'get' }],
    ['OPTIONS', `${IS}/namespaces/p/imagestreams/foo`, { verb: '' }],
    ['GET', '/api/v1/namespaces', { verb: 'list', group: '', resource: 'namespaces', namespace: '' }],
    // A namespace is in itself, as kube-apiserver reads it.
    ['DELETE', '/api/v1/namespaces/p', { verb: 'delete', resource: 'namespaces', name: 'p', namespace: 'p' }],
    ['PUT', '/api/v1/namespaces/p/finalize', { verb: 'update', resource: 'namespaces', name: 'p', subresource: 'finalize', namespace: 'p' }],
    ['GET', '/api/v1/namespaces/p/secrets', { verb: 'list', resource: 'secrets', namespace: 'p' }],
    ['POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }],
  ])('%s %s', (method, url, expected) => {
    expect(requestAttributesOf(method, url)).toMatchObject({ resourceRequest: true, ...expected });
  });

  it.each(['/api', '/api/v1', '/apis', '/apis/image.openshift.io', '/apis/image.openshift.io/v1', '/openapi/v2', '/metrics', '/', '/admission/image-policy'])(
    '%s is a non-resource request',
    (path) => {
      expect(requestAttributesOf('GET', `${path}?timeout=32s`)).toMatchObject({ resourceRequest: false, verb: 'get', path });
      expect(requestAttributesOf('POST', path).verb).toBe('post');
    },
  );

  it('decodes each segment after splitting, as the router does: an escaped slash stays in its segment', () => {
    expect(requestAttributesOf('GET', `${IS}/namespaces/elsewhere%2F..%2Fmyproject/imagestreams`)).toMatchObject({ namespace: 'elsewhere/../myproject', resource: 'imagestreams', verb: 'list' });
    expect(requestAttributesOf('GET', `${IS}/namespaces/my%70roject/imagestreams/a%3Ab`)).toMatchObject({ namespace: 'myproject', name: 'a:b' });
    expect(requestAttributesOf('GET', '/ap%69%2F..%2Fmetrics')).toMatchObject({ resourceRequest: false, path: '/api/../metrics' });
  });

  it('reads a review: resource given whole is split; non-resource keeps path and verb', () => {
    expect(reviewAttributesOf({ resourceAttributes: { verb: 'update', group: 'image.openshift.io', resource: 'imagestreams/status', namespace: 'p' } })).toMatchObject({
      resourceRequest: true,
      resource: 'imagestreams',
      subresource: 'status',
      namespace: 'p',
    });
    expect(reviewAttributesOf({ nonResourceAttributes: { verb: 'get', path: '/metrics' } })).toMatchObject({ resourceRequest: false, verb: 'get', path: '/metrics' });
  });
});
