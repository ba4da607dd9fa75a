import { ApiError } from './api-error';
import { registerKind, registerKnownTypes } from './kind-scheme';
import { decodeTypedBody } from './object-body';

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof ApiError ? [e.code, e.message] : e;
  }
  return 'no error';
};

describe('decodeTypedBody', () => {
  it('takes absent, null and empty type fields as naming none, and copies the body', () => {
    const body = { kind: null, apiVersion: '', metadata: null, spec: { a: 1 } };
    const obj = decodeTypedBody<{ metadata?: unknown; spec: { a: number } }>(body, 'ImageStream', 'image.openshift.io/v1');
    expect(obj.metadata).toEqual({});
    obj.spec.a = 2;
    expect(body.spec.a).toBe(1);
  });

  it("refuses another kind or version as the decoder words it, and bodies or metadata that are not objects (400)", () => {
    registerKind('image.openshift.io/v1', 'Image');
    registerKind('v1', 'Pod');
    registerKind('batch/v1', 'Job');
    const scheme = 'in scheme "pkg/api/legacyscheme/scheme.go:30"';
    const cases: [body: Record<string, string>, kind: string, apiVersion: string, expected: string][] = [
      // A kind the scheme holds in the body's version: it decodes, then does not convert.
      [{ kind: 'Image' }, 'ImageStream', 'image.openshift.io/v1', 'Image in version "v1" cannot be handled as a ImageStream: converting (v1.Image) to (image.ImageStream): unknown conversion'],
      [{ kind: 'Pod', apiVersion: 'v1' }, 'Namespace', 'v1', 'Pod in version "v1" cannot be handled as a Namespace: converting (v1.Pod) to (core.Namespace): unknown conversion'],
      [{ kind: 'Job', apiVersion: 'batch/v1' }, 'Deployment', 'apps/v1', 'Job in version "v1" cannot be handled as a Deployment: converting (v1.Job) to (apps.Deployment): unknown conversion'],
      [{ kind: 'ImageList' }, 'ImageStream', 'image.openshift.io/v1', 'ImageList in version "v1" cannot be handled as a ImageStream: converting (v1.ImageList) to (image.ImageStream): unknown conversion'],
      // One it does not hold there (a lowercase kind, a kind of another group): the lookup fails.
      [{ kind: 'imagestream', apiVersion: 'image.openshift.io/v1' }, 'ImageStream', 'image.openshift.io/v1', `imagestream in version "v1" cannot be handled as a ImageStream: no kind "imagestream" is registered for version "image.openshift.io/v1" ${scheme}`],
      [{ kind: 'Pod', apiVersion: 'image.openshift.io/v1' }, 'ImageStream', 'image.openshift.io/v1', `Pod in version "v1" cannot be handled as a ImageStream: no kind "Pod" is registered for version "image.openshift.io/v1" ${scheme}`],
    ];
    for (const [body, kind, apiVersion, expected] of cases) expect(message(() => decodeTypedBody(body, kind, apiVersion))).toEqual([400, expected]);
    // The resource's kind in another version: one the scheme holds it in (openshift-apiserver's
    // legacy core v1) decodes and is refused by version; in any other the lookup fails.
    registerKnownTypes('v1', ['ImageStream']);
    expect(message(() => decodeTypedBody({ apiVersion: 'v1' }, 'ImageStream', 'image.openshift.io/v1'))).toEqual([
      400,
      'the API version in the data (v1) does not match the expected API version (image.openshift.io/v1)',
    ]);
    expect(message(() => decodeTypedBody({ apiVersion: 'image.openshift.io/v2', kind: 'ImageStream' }, 'ImageStream', 'image.openshift.io/v1'))).toEqual([
      400,
      `ImageStream in version "v2" cannot be handled as a ImageStream: no kind "ImageStream" is registered for version "image.openshift.io/v2" ${scheme}`,
    ]);
    expect(message(() => decodeTypedBody({ apiVersion: 'foo.io/v1' }, 'ImageStream', 'image.openshift.io/v1'))).toEqual([
      400,
      `ImageStream in version "v1" cannot be handled as a ImageStream: no kind "ImageStream" is registered for version "foo.io/v1" ${scheme}`,
    ]);
    expect(message(() => decodeTypedBody([], 'ImageStream', 'image.openshift.io/v1'))).toEqual([400, 'the request body must be a JSON object']);
    expect(message(() => decodeTypedBody({ metadata: [] }, 'ImageStream', 'image.openshift.io/v1'))).toEqual([400, 'metadata must be an object']);
  });
});
