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

export const corePrinters: Record<string, TablePrinter> = { '/namespaces': namespacePrinter };
