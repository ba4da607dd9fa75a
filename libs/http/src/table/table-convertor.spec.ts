import type { ResourceInfo } from '@app/api-machinery';
import { includeObjectOf, refuseMetadataMismatch, renderingOf, TableConvertor } from './table-convertor';

const kubectlAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('renderingOf (Accept negotiation)', () => {
  it.each([
    [undefined, { as: 'Object' }],
    ['', { as: 'Object' }],
    ['application/json', { as: 'Object' }],
    ['*/*', { as: 'Object' }],
    [kubectlAccept, { as: 'Table', apiVersion: 'meta.k8s.io/v1' }],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io', { as: 'Table', apiVersion: 'meta.k8s.io/v1beta1' }],
    ['application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json', { as: 'Object' }],
    ['application/json;as=Table;v=v2;g=meta.k8s.io,application/json', { as: 'Object' }],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', { as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', list: true }],
    ['application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io', { as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1beta1', list: false }],
    ['application/vnd.kubernetes.protobuf, */*', { as: 'Object' }],
    ['application/yaml', { as: 'Object', yaml: true }],
    ['text/html, application/yaml;q=0.9', { as: 'Object', yaml: true }],
    // Ranked as goautoneg ranks them (kube-apiserver tries them in that order): by q, then a
    // concrete type before a wildcard; a q of 0 is ranked last but still served; equal ones keep their order.
    ['application/json;q=0.5, application/yaml', { as: 'Object', yaml: true }],
    ['application/json;q=0, application/yaml', { as: 'Object', yaml: true }],
    ['application/yaml;q=0', { as: 'Object', yaml: true }],
    ['*/*, application/yaml', { as: 'Object', yaml: true }],
    ['application/yaml, application/json', { as: 'Object', yaml: true }],
    ['application/json, application/yaml', { as: 'Object' }],
    ['application/json;q=0.9, application/json;as=Table;v=v1;g=meta.k8s.io', { as: 'Table', apiVersion: 'meta.k8s.io/v1' }],
    ['application/json;q=bogus, application/yaml;q=0.1', { as: 'Object', yaml: true }],
    ['*', { as: 'Object' }],
    ['application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io', { as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', list: false }],
  ])('%j', (accept, expected) => {
    expect(renderingOf(accept)).toEqual(expected);
  });

  it.each(['text/html', 'application/xml', 'application/vnd.kubernetes.protobuf', 'application/json;as=Table;v=v2;g=meta.k8s.io', 'application/json;as=Bogus;v=v1;g=meta.k8s.io', 'application', 'application/json/x', ','])(
    '%j is 406 NotAcceptable',
    (accept) => {
      expect(() => renderingOf(accept)).toThrow('only the following media types are accepted');
    },
  );

  it('reads includeObject and rejects unknown values in kube\'s words (optionsForTransform, ValidateTableOptions)', () => {
    expect(includeObjectOf(undefined)).toBe('Metadata');
    expect(includeObjectOf('None')).toBe('None');
    // A repeated parameter counts with its first value, as apimachinery converts url.Values.
    expect(includeObjectOf(['Metadata', 'Object'])).toBe('Metadata');
    expect(() => includeObjectOf('Bogus')).toThrow(
      expect.objectContaining({ code: 400, reason: 'BadRequest', message: `Unable to convert to Table as requested: includeObject: Invalid value: "Bogus": must be 'Metadata', 'Object', 'None', or empty` }),
    );
  });
});

describe('TableConvertor', () => {
  const info = { group: 'image.openshift.io', version: 'v1', resource: 'images', kind: 'Image' } as ResourceInfo;
  const other = { group: 'example.io', version: 'v1', resource: 'widgets', kind: 'Widget' } as ResourceInfo;
  const list = { kind: 'ImageList', apiVersion: 'image.openshift.io/v1', metadata: { resourceVersion: '9', continue: 'abc' }, items: [{ metadata: { name: 'sha256:1', resourceVersion: '3' }, dockerImageReference: 'q/x@sha256:1' }] };
  const convertor = new TableConvertor();

  it.each([
    ['Metadata', { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'sha256:1', resourceVersion: '3' } }],
    ['Object', { kind: 'Image', apiVersion: 'image.openshift.io/v1', metadata: { name: 'sha256:1', resourceVersion: '3' }, dockerImageReference: 'q/x@sha256:1' }],
    // Go marshals the nil RawExtension of an includeObject=None row as null.
    ['None', null],
  ] as const)('lists with includeObject=%s', (include, object) => {
    const table = convertor.toTable(info, list, true, include);
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '9', continue: 'abc' } });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Image Reference']);
    expect(table.rows).toEqual([{ cells: ['sha256:1', 'q/x@sha256:1'], object }]);
  });

  it('prints kinds without their own columns as Name / Created At', () => {
    const table = convertor.toTable(other, { metadata: { name: 'w', creationTimestamp: '2025-01-01T00:00:00Z', resourceVersion: '4' } }, false, 'None');
    expect(table.metadata).toEqual({ resourceVersion: '4' });
    expect(table.columnDefinitions.map((c) => [c.name, c.type])).toEqual([['Name', 'string'], ['Created At', 'date']]);
    expect(table.rows[0]!.cells).toEqual(['w', '2025-01-01T00:00:00Z']);
  });

  it('renders PartialObjectMetadata for objects and lists', () => {
    const rendering = { as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', list: true } as const;
    expect(convertor.render(info, rendering, list, true, 'Metadata')).toEqual({
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: list.metadata,
      items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'sha256:1', resourceVersion: '3' } }],
    });
    expect(convertor.render(info, { as: 'Object' }, list, true, 'Metadata')).toBe(list);
  });
});

describe('refuseMetadataMismatch (kube asPartialObjectMetadata / asPartialObjectMetadataList)', () => {
  const stream = { group: 'image.openshift.io', version: 'v1', resource: 'imagestreams', kind: 'ImageStream', listKind: 'ImageStreamList' } as ResourceInfo;
  const secrets = { group: 'image.openshift.io', version: 'v1', resource: 'imagestreams/secrets', kind: 'SecretList', listKind: 'SecretList' } as ResourceInfo;
  const scale = { group: 'apps', version: 'v1', resource: 'deployments/scale', kind: 'Deployment', listKind: 'DeploymentList', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } } as ResourceInfo;
  const namespaces = { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', listKind: 'NamespaceList' } as ResourceInfo;
  const asked = (list: boolean) => ({ as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', list }) as const;
  const refusal = (message: string) => expect.objectContaining({ code: 406, reason: 'NotAcceptable', message, details: undefined });

  it('406 naming the internal Go type when the kinds do not match', () => {
    expect(() => refuseMetadataMismatch(stream, asked(false), true)).toThrow(refusal('you requested PartialObjectMetadata, but the requested object is a list (*image.ImageStreamList)'));
    expect(() => refuseMetadataMismatch(stream, asked(true), false)).toThrow(refusal('you requested PartialObjectMetadataList, but the requested object is not a list (*image.ImageStream)'));
    expect(() => refuseMetadataMismatch(namespaces, asked(false), true)).toThrow(refusal('you requested PartialObjectMetadata, but the requested object is a list (*core.NamespaceList)'));
    expect(() => refuseMetadataMismatch(scale, asked(true), false)).toThrow(refusal('you requested PartialObjectMetadataList, but the requested object is not a list (*autoscaling.Scale)'));
    expect(() => refuseMetadataMismatch(secrets, asked(false), false)).toThrow(refusal('you requested PartialObjectMetadata, but the requested object is a list (*core.SecretList)'));
  });
  it('lets matching requests through', () => {
    expect(() => refuseMetadataMismatch(stream, asked(true), true)).not.toThrow();
    expect(() => refuseMetadataMismatch(stream, asked(false), false)).not.toThrow();
    expect(() => refuseMetadataMismatch(secrets, asked(true), false)).not.toThrow();
    expect(() => refuseMetadataMismatch(stream, { as: 'Object' }, true)).not.toThrow();
  });
});
