import type { ResourceInfo } from '@app/api-machinery';
import {
  imageStreamImagesInfo,
  imageStreamImportsInfo,
  imageStreamLayersInfo,
  imageStreamMappingsInfo,
  imageStreamSecretsInfo,
  imageStreamsInfo,
  imageStreamStatusInfo,
  imageStreamTagsInfo,
  imagesInfo,
  imageTagsInfo,
} from '@app/image';
import type { ResourceRegistry } from '@app/persistence';
import { OpenApiDocuments } from './openapi-document';

const infos: ResourceInfo[] = [
  imagesInfo,
  imageStreamsInfo,
  imageStreamStatusInfo,
  imageStreamMappingsInfo,
  imageStreamTagsInfo,
  imageTagsInfo,
  imageStreamImagesInfo,
  imageStreamImportsInfo,
  imageStreamLayersInfo,
  imageStreamSecretsInfo,
];
const registry = { all: () => infos.map((info) => ({ info })) } as unknown as ResourceRegistry;

type Json = Record<string, any>;

/** Every `$ref` in a document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('OpenApiDocuments', () => {
  const docs = new OpenApiDocuments(registry);
  const v3: Json = docs.v3('apis/image.openshift.io/v1')!.doc;

  it('lists one v3 document per group-version, its URL carrying the content hash', () => {
    const root: Json = docs.v3Root();
    expect(Object.keys(root['paths'])).toEqual(['apis/image.openshift.io/v1']);
    expect(root['paths']['apis/image.openshift.io/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/image\.openshift\.io\/v1\?hash=[0-9A-F]{128}$/);
    expect(docs.v3('apis/nope/v1')).toBeUndefined();
  });

  it('resolves every reference in both versions', () => {
    const schemas = Object.keys(v3['components'].schemas);
    for (const ref of refs(v3)) expect(schemas).toContain(ref.replace('#/components/schemas/', ''));
    const v2: Json = docs.v2();
    const definitions = Object.keys(v2['definitions']);
    for (const ref of refs(v2)) expect(definitions).toContain(ref.replace('#/definitions/', ''));
  });

  it.each(['ImageStream', 'Image', 'ImageStreamTag', 'ImageTag'])('declares PATCH with fieldValidation and strategic merge for %s (what kubectl checks)', (kind) => {
    const patches = Object.values(v3['paths'] as Json)
      .map((p) => p.patch)
      .filter((op) => op?.['x-kubernetes-group-version-kind']?.kind === kind);
    expect(patches.length).toBeGreaterThan(0);
    for (const op of patches) {
      expect(op.parameters.map((p: Json) => `${p['in']}:${p['name']}`)).toContain('query:fieldValidation');
      expect(Object.keys(op.requestBody.content)).toContain('application/strategic-merge-patch+json');
      expect(op['x-kubernetes-group-version-kind']).toEqual({ group: 'image.openshift.io', kind, version: 'v1' });
    }
  });

  it('publishes delete with its DeleteOptions query parameters, and deletecollection on collections, as kube-apiserver', () => {
    const names = (op: Json) => op.parameters.filter((p: Json) => p['in'] === 'query').map((p: Json) => p['name']);
    const item = v3['paths']['/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}'].delete;
    expect(names(item)).toEqual(['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy', 'pretty']);
    const collection = v3['paths']['/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams'].delete;
    expect(collection.operationId).toBe('deleteImageOpenshiftIoV1CollectionNamespacedImageStream');
    expect(collection['x-kubernetes-action']).toBe('deletecollection');
    expect(names(collection)).toEqual(expect.arrayContaining(['propagationPolicy', 'labelSelector', 'fieldSelector', 'dryRun']));
    expect(names(collection)).not.toContain('watch');
    expect(v3['paths']['/apis/image.openshift.io/v1/images'].delete.operationId).toBe('deleteImageOpenshiftIoV1CollectionImage');
    // Kinds without deletecollection (mappings are create-only) publish none.
    expect(v3['paths']['/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreammappings'].delete).toBeUndefined();
  });

  it('serves namespaced, all-namespaces, cluster and subresource paths as the routes do', () => {
    const paths = Object.keys(v3['paths']);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/apis/image.openshift.io/v1/images',
        '/apis/image.openshift.io/v1/images/{name}',
        '/apis/image.openshift.io/v1/imagestreams',
        '/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}',
        '/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}/status',
        '/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}/layers',
        '/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreamimages/{name}',
      ]),
    );
    const mappings = v3['paths']['/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreammappings'];
    expect(Object.keys(mappings)).toEqual(['post']);
    const imports = v3['paths']['/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreamimports'];
    expect(imports.post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/com.github.openshift.api.image.v1.ImageStreamImport' });
    expect(v3['paths']['/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}/layers'].get['x-kubernetes-action']).toBe('get');
  });

  it('publishes explainable kinds: group-version-kind on schemas, merge keys on spec.tags', () => {
    const schemas = v3['components'].schemas as Json;
    const is = schemas['com.github.openshift.api.image.v1.ImageStream'];
    expect(is['x-kubernetes-group-version-kind']).toEqual([{ group: 'image.openshift.io', kind: 'ImageStream', version: 'v1' }]);
    expect(is.properties.spec.allOf).toEqual([{ $ref: '#/components/schemas/com.github.openshift.api.image.v1.ImageStreamSpec' }]);
    const tags = schemas['com.github.openshift.api.image.v1.ImageStreamSpec'].properties.tags;
    expect(tags).toMatchObject({ type: 'array', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    expect(tags.description).toMatch(/tags/);
    const v2: Json = docs.v2();
    expect(v2['definitions']['com.github.openshift.api.image.v1.ImageStream'].properties.spec.$ref).toBe('#/definitions/com.github.openshift.api.image.v1.ImageStreamSpec');
  });
});
