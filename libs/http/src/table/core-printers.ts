import { redactSecret, secretDataCount } from '@app/image';
import type { Namespace } from '../namespaces/namespace.types';
import { age } from './kube-duration';
import { column, type TablePrinter } from './table.types';

/** `kubectl get ns` columns, as kube-apiserver prints them. */
const namespacePrinter: TablePrinter = {
  columns: [
    column('Name', 'Name must be unique within a namespace.', { format: 'name' }),
    column('Status', 'The status of the namespace'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
  ],
  cells(obj, now) {
    const ns = obj as unknown as Partial<Namespace>;
    return [ns.metadata?.name ?? '', ns.status?.phase ?? '', age(ns.metadata?.creationTimestamp, now)];
  },
};

const nameColumn = column('Name', 'Name must be unique within a namespace.', { format: 'name' });

/** `kubectl get limits`: kube-apiserver's LimitRange columns. */
const limitRangePrinter: TablePrinter = {
  columns: [nameColumn, column('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', { type: 'date' })],
  cells(obj) {
    return [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? ''];
  },
};

type QuotaLists = { spec?: { hard?: Record<string, string> }; status?: { hard?: Record<string, string>; used?: Record<string, string> } };

/**
 * `kubectl get quota`: kube-apiserver's ResourceQuota columns. Each resource of spec.hard (sorted)
 * reads `<name>: <used>/<hard>` from the status; `limits.*` resources go to the Limit column.
 */
const resourceQuotaPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    column('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells(obj, now) {
    const q = obj as unknown as QuotaLists;
    const request: string[] = [];
    const limit: string[] = [];
    for (const r of Object.keys(q.spec?.hard ?? {}).sort()) {
      const text = `${r}: ${q.status?.used?.[r] ?? '0'}/${q.status?.hard?.[r] ?? '0'}`;
      (r.split('.')[0] === 'limits' && r.includes('.') ? limit : request).push(text);
    }
    return [obj.metadata?.name ?? '', age(obj.metadata?.creationTimestamp, now), request.join(', '), limit.join(', ')];
  },
};

/**
 * `kubectl get secrets`: kube-apiserver's Secret columns (Data is the number of keys). Rows never
 * carry the data, whatever includeObject asks (lists are redacted already; a single GET is not).
 */
const secretPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Type', 'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types'),
    column(
      'Data',
      "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    ),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
  ],
  cells(obj, now) {
    return [obj.metadata?.name ?? '', typeof obj['type'] === 'string' ? obj['type'] : '', secretDataCount(obj), age(obj.metadata?.creationTimestamp, now)];
  },
  rowObject: (obj) => redactSecret(obj),
};

export const corePrinters: Record<string, TablePrinter> = {
  '/namespaces': namespacePrinter,
  '/limitranges': limitRangePrinter,
  '/resourcequotas': resourceQuotaPrinter,
  '/secrets': secretPrinter,
};
