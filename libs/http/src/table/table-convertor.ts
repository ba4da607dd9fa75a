import { ApiError, apiVersionOf, bodyKindOf, fieldErr, fieldErrorString, type ListMeta, type ObjectMeta, type ResourceInfo } from '@app/api-machinery';
import { defaultPrinter, imagePrinters } from './image-printers';
import type { IncludeObject, Table, TablePrinter, TableRow } from './table.types';
import { corePrinters } from './core-printers';
import { triggerPrinters } from './trigger-printers';
import { workloadPrinters } from './workload-printers';
import { mediaRanges } from '../media-ranges';
import { firstValue } from '../query-value';

/** How the client asked to see objects (Accept header, as kube-apiserver negotiates it). */
export type Rendering =
  | { as: 'Object'; yaml?: true }
  | { as: 'Table'; apiVersion: string }
  | { as: 'PartialObjectMetadata'; apiVersion: string; list: boolean };

const metaVersions = new Set(['v1', 'v1beta1']);

/**
 * Picks the first media range of the Accept header, in kube-apiserver's order (mediaRanges), this
 * server can produce: a meta.k8s.io Table or PartialObjectMetadata(List) conversion
 * (`application/json;as=Table;v=v1;g=meta.k8s.io`), YAML, else plain JSON objects. Ranges we
 * cannot produce (protobuf, unknown conversions) are skipped; no Accept header is plain JSON, and
 * one that names nothing we produce is 406, as kube-apiserver's NegotiateOutputMediaType.
 */
export function renderingOf(accept: string | undefined, tableServed = true): Rendering {
  if (!accept) return { as: 'Object' };
  for (const { type: mediaType, params } of mediaRanges(accept)) {
    if (mediaType === 'application/yaml' && !params.has('as')) return { as: 'Object', yaml: true };
    if (!['application/json', 'application/*', '*/*'].includes(mediaType)) continue;
    const as = params.get('as');
    if (as === undefined) return { as: 'Object' };
    const version = params.get('v') ?? '';
    if (params.get('g') !== 'meta.k8s.io' || !metaVersions.has(version)) continue;
    if (as === 'Table') {
      if (tableServed) return { as: 'Table', apiVersion: `meta.k8s.io/${version}` };
      continue;
    }
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, list: as === 'PartialObjectMetadataList' };
  }
  // Nothing the client accepts can be produced (kube-apiserver: 406 with what it can serve).
  throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${servedMediaTypes.join(', ')}`);
}

/**
 * What kube-apiserver's 406 names: the serializers' media types (openshift-apiserver's kinds have
 * protobuf too; here protobuf is decoded only for the kinds the README lists, and answered as
 * JSON when the Accept header also allows it). Table and metadata conversions are not listed.
 */
const servedMediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/**
 * `?includeObject=None|Metadata|Object` (Metadata by default), read only when a Table is asked
 * for; anything else is 400 in kube's words (optionsForTransform over ValidateTableOptions).
 */
export function includeObjectOf(value: string | string[] | undefined): IncludeObject {
  const v = firstValue(value);
  if (v === undefined || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  const invalid = fieldErrorString(fieldErr.invalid('includeObject', v, "must be 'Metadata', 'Object', 'None', or empty"));
  throw ApiError.badRequest(`Unable to convert to Table as requested: ${invalid}`);
}

/** Whether a read answers a list: a list path, or imagestreams/secrets (core's SecretList at an object's path). */
export function readsList(info: ResourceInfo, isList: boolean): boolean {
  return isList || bodyKindOf(info).kind === info.listKind;
}

/**
 * A metadata-only answer must match what was read (kube's asPartialObjectMetadata and
 * asPartialObjectMetadataList, after the read): else 406 NotAcceptable naming the Go type read.
 */
export function refuseMetadataMismatch(info: ResourceInfo, rendering: Rendering, isList: boolean): void {
  if (rendering.as !== 'PartialObjectMetadata') return;
  const list = readsList(info, isList);
  if (rendering.list === list) return;
  const type = isList ? internalGoType(info.group, info.listKind) : internalGoType(bodyKindOf(info).group, bodyKindOf(info).kind);
  const message = list
    ? `you requested PartialObjectMetadata, but the requested object is a list (${type})`
    : `you requested PartialObjectMetadataList, but the requested object is not a list (${type})`;
  // handlers' own errNotAcceptable: no details.
  throw new ApiError(406, 'NotAcceptable', message);
}

/**
 * `%T` of what kube's storage reads: a pointer to the internal type, in a package named after its
 * group's first label (`*image.ImageStream`, `*apps.Deployment`, `*autoscaling.Scale`), `core` for
 * the legacy group and for imagestreams/secrets' SecretList. The triggers group has no Go types
 * upstream; `*triggers.<Kind>` follows the same rule.
 */
function internalGoType(group: string, kind: string): string {
  const pkg = group === '' || kind === 'SecretList' ? 'core' : group.split('.')[0]!;
  return `*${pkg}.${kind}`;
}

type Obj = Record<string, unknown> & { metadata?: ObjectMeta };

/**
 * Server-side printing: turns objects and lists into meta.k8s.io Tables with the columns `oc get`
 * shows for each image kind, this project's columns for the trigger kinds (kube-apiserver's
 * Name / Created At for others), or into PartialObjectMetadata for metadata-only clients.
 */
export class TableConvertor {
  constructor(private readonly printers: Record<string, TablePrinter> = { ...corePrinters, ...imagePrinters, ...triggerPrinters, ...workloadPrinters }) {}

  printerFor(info: ResourceInfo): TablePrinter {
    return this.printers[`${info.group}/${info.resource}`] ?? defaultPrinter;
  }

  private row(info: ResourceInfo, printer: TablePrinter, obj: Obj, include: IncludeObject, apiVersion: string, now: Date): TableRow {
    const row: TableRow = { cells: printer.cells(obj, now), object: null };
    const shown = printer.rowObject ? printer.rowObject(obj) : obj;
    if (include === 'Metadata') row.object = this.partial(shown, apiVersion);
    else if (include === 'Object') row.object = { kind: info.kind, apiVersion: apiVersionOf(info), ...shown };
    return row;
  }

  private partial(obj: Obj, apiVersion: string): object {
    return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata ?? {} };
  }

  /** A Table of one object or of a list's items. */
  toTable(info: ResourceInfo, body: object, isList: boolean, include: IncludeObject, apiVersion = 'meta.k8s.io/v1', now = new Date()): Table {
    const printer = this.printerFor(info);
    const items = isList ? ((body as { items?: Obj[] }).items ?? []) : [body as Obj];
    const listMeta = isList ? ((body as { metadata?: ListMeta }).metadata ?? {}) : {};
    const metadata: ListMeta = isList
      ? {
          ...(listMeta.resourceVersion ? { resourceVersion: listMeta.resourceVersion } : {}),
          ...(listMeta.continue ? { continue: listMeta.continue } : {}),
          ...(listMeta.remainingItemCount !== undefined ? { remainingItemCount: listMeta.remainingItemCount } : {}),
        }
      : (body as Obj).metadata?.resourceVersion
        ? { resourceVersion: (body as Obj).metadata!.resourceVersion }
        : {};
    return {
      kind: 'Table',
      apiVersion,
      metadata,
      columnDefinitions: printer.columns,
      rows: items.map((item) => this.row(info, printer, item, include, apiVersion, now)),
    };
  }

  /** A GET answer as the client asked for it. */
  render(info: ResourceInfo, rendering: Rendering, body: object, isList: boolean, include: IncludeObject): object {
    switch (rendering.as) {
      case 'Object':
        return body;
      case 'Table':
        return this.toTable(info, body, isList, include, rendering.apiVersion);
      case 'PartialObjectMetadata':
        if (!isList) return this.partial(body as Obj, rendering.apiVersion);
        return {
          kind: 'PartialObjectMetadataList',
          apiVersion: rendering.apiVersion,
          metadata: (body as { metadata?: ListMeta }).metadata ?? {},
          items: ((body as { items?: Obj[] }).items ?? []).map((item) => this.partial(item, rendering.apiVersion)),
        };
    }
  }
}
