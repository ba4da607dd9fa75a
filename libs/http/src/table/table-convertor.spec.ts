import type { ResourceInfo } from '@app/api-machinery';
import { includeObjectOf, renderingOf, TableConvertor } from './table-convertor';

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
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', { as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' }],
    ['application/vnd.kubernetes.protobuf, */*', { as: 'Object' }],
    ['application/yaml', { as: 'Object', yaml: true }],
    ['text/html, application/yaml;q=0.9', { as: 'Object', yaml: true }],
  ])('%j', (accept, expected) => {
    expect(renderingOf(accept)).toEqual(expected);
  });

  it.each(['text/html', 'application/xml', 'application/vnd.kubernetes.protobuf', 'application/json;as=Table;v=v2;g=meta.k8s.io', 'application/json;as=Bogus;v=v1;g=meta.k8s.io'])(
    '%j is 406 NotAcceptable',
    (accept) => {
      expect(() => renderingOf(accept)).toThrow('only the following media types are accepted');
    },
  );

  it('reads includeObject and rejects unknown values', () => {
    expect(includeObjectOf(undefined)).toBe('Metadata');
    expect(includeObjectOf('None')).toBe('None');
    // A repeated parameter counts with its first value, as apimachinery converts url.Values.
    expect(includeObjectOf(['Metadata', 'Object'])).toBe('Metadata');
    expect(() => includeObjectOf('All')).toThrow(/includeObject/);
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
    ['None', undefined],
  ] as const)('lists with includeObject=%s', (include, object) => {
    const table = convertor.toTable(info, list, true, include);
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '9', continue: 'abc' } });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Image Reference']);
    expect(table.rows).toEqual([{ cells: ['sha256:1', 'q/x@sha256:1'], ...(object ? { object } : {}) }]);
  });

  it('prints kinds without their own columns as Name / Created At', () => {
    const table = convertor.toTable(other, { metadata: { name: 'w', creationTimestamp: '2025-01-01T00:00:00Z', resourceVersion: '4' } }, false, 'None');
    expect(table.metadata).toEqual({ resourceVersion: '4' });
    expect(table.columnDefinitions.map((c) => [c.name, c.type])).toEqual([['Name', 'string'], ['Created At', 'date']]);
    expect(table.rows[0]!.cells).toEqual(['w', '2025-01-01T00:00:00Z']);
  });

  it('renders PartialObjectMetadata for objects and lists', () => {
    const rendering = { as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' } as const;
    expect(convertor.render(info, rendering, list, true, 'Metadata')).toEqual({
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: list.metadata,
      items: [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'sha256:1', resourceVersion: '3' } }],
    });
    expect(convertor.render(info, { as: 'Object' }, list, true, 'Metadata')).toBe(list);
  });
});
