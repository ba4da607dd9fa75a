import { withoutTrailingSlash } from './trailing-slash';

describe('withoutTrailingSlash', () => {
  it.each([
    ['/version/', '/version'],
    ['/apis/', '/apis'],
    ['/apis/image.openshift.io/v1/namespaces/ns/imagestreams/?limit=1', '/apis/image.openshift.io/v1/namespaces/ns/imagestreams?limit=1'],
    ['/version', '/version'],
    ['/', '/'],
    ['/?pretty=true', '/?pretty=true'],
    ['/apis?x=a/', '/apis?x=a/'],
    ['/healthz//', '/healthz/'],
  ])('%s → %s', (url, expected) => {
    expect(withoutTrailingSlash(url)).toBe(expected);
  });
});
