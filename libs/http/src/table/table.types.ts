import type { ListMeta, ObjectMeta } from '@app/api-machinery';

/** meta.k8s.io TableColumnDefinition. */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** meta.k8s.io TableRow: cells in column order, and the object as `includeObject` asks. */
export interface TableRow {
  cells: unknown[];
  /** null for includeObject=None: Go's RawExtension marshals an absent object as null (omitempty does not drop a struct). */
  object: object | null;
}

/** meta.k8s.io Table, the server-side printing answer `kubectl get` asks for. */
export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** What each row carries besides its cells (`?includeObject=`; Metadata is the default). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Columns and cell values for one kind's objects. */
export interface TablePrinter {
  columns: TableColumnDefinition[];
  /** Cells of one object (plain JSON as served), in column order; `now` dates relative times. */
  cells(obj: Record<string, unknown> & { metadata?: ObjectMeta }, now: Date): unknown[];
  /** What a row carries as its object (`includeObject`), when not the object itself (Secrets: without data). */
  rowObject?(obj: Record<string, unknown> & { metadata?: ObjectMeta }): Record<string, unknown> & { metadata?: ObjectMeta };
}

export function column(name: string, description: string, extra: Partial<TableColumnDefinition> = {}): TableColumnDefinition {
  return { name, type: 'string', format: '', description, priority: 0, ...extra };
}
