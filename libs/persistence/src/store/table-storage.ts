import type { ApiObject, FieldSelector, LabelSelector } from '@app/api-machinery';
import type { Queryable } from '../database';
import type { ParameterisedSql } from '../session-statements';

/** Rows of a stored kind: key columns, versions, labels, and the wire object in `body`. */
interface Row {
  namespace?: string;
  name: string;
  resource_version: string;
  body: ApiObject;
}

export interface PageQuery {
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  /** Rows after this key (key order); `inclusive` also returns the row at it. */
  after?: { namespace: string; name: string; inclusive?: boolean };
  /** Only rows created at or before this resourceVersion (list snapshot membership). */
  createdAtOrBefore?: string;
  limit?: number;
}

/**
 * Generic persistence for one stored kind's table. Filters run in SQL so that `limit` pages are
 * full pages; keys order lists as Kubernetes does (namespace, then name, bytewise).
 */
export class TableStorage<T extends ApiObject> {
  /**
   * @param computedFields SQL expressions (over the row's columns) for selectable fields that are
   *   computed rather than stored, e.g. an image stream's status.dockerImageRepository.
   */
  constructor(
    readonly table: string,
    readonly namespaced: boolean,
    private readonly computedFields: Record<string, string> = {},
  ) {}

  /** The row-lookup statement (for Transaction.batch, where it runs prepared). */
  getStatement(namespace: string, name: string, forUpdate = false): ParameterisedSql {
    const key = this.namespaced ? `namespace = $1::text AND name = $2::text` : `name = $1::text`;
    return {
      text: `SELECT name, resource_version::text AS resource_version, body FROM ${this.table} WHERE ${key} ${forUpdate ? 'FOR UPDATE' : ''}`,
      values: this.namespaced ? [namespace, name] : [name],
    };
  }

  /**
   * Locks the row at a key if there is one (FOR KEY SHARE, the weakest lock that still waits for a
   * writer holding the row, such as a delete in flight; once that one commits, a row it removed is
   * not returned). A create runs it before taking its version: see GenericStore.createOnce.
   */
  claimStatement(namespace: string, name: string): ParameterisedSql {
    const key = this.namespaced ? `namespace = $1::text AND name = $2::text` : `name = $1::text`;
    return {
      text: `SELECT 1 FROM ${this.table} WHERE ${key} FOR KEY SHARE`,
      values: this.namespaced ? [namespace, name] : [name],
    };
  }

  hydrateRows(rows: Record<string, unknown>[]): T | null {
    return rows[0] ? this.hydrate(rows[0] as unknown as Row) : null;
  }

  private hydrate(row: Row): T {
    const obj = row.body as T;
    obj.metadata.resourceVersion = row.resource_version;
    return obj;
  }

  async get(q: Queryable, namespace: string, name: string, forUpdate = false): Promise<T | null> {
    const where = this.namespaced ? 'namespace = $1 AND name = $2' : 'name = $2 AND $1::text IS NOT NULL';
    const rows = await q.query<Row>(
      `SELECT name, resource_version::text AS resource_version, body FROM ${this.table}
        WHERE ${where} ${forUpdate ? 'FOR UPDATE' : ''}`,
      [namespace, name],
      `${this.table}-get${forUpdate ? '-for-update' : ''}`,
    );
    return rows[0] ? this.hydrate(rows[0]) : null;
  }

  async list(q: Queryable, page: PageQuery): Promise<T[]> {
    const { where, params, p } = this.filterOf(page);
    const order = this.namespaced ? 'namespace, name' : 'name';
    const rows = await q.query<Row>(
      `SELECT name, resource_version::text AS resource_version, body FROM ${this.table}
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${order} ${page.limit !== undefined ? `LIMIT ${p(page.limit)}` : ''}`,
      params,
    );
    return rows.map((r) => this.hydrate(r));
  }

  /** The uids of the rows the page query matches, in key order (no bodies read). */
  async uids(q: Queryable, page: PageQuery): Promise<string[]> {
    const { where, params, p } = this.filterOf(page);
    const order = this.namespaced ? 'namespace, name' : 'name';
    const rows = await q.query<{ uid: string }>(
      `SELECT uid::text AS uid FROM ${this.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${order} ${page.limit !== undefined ? `LIMIT ${p(page.limit)}` : ''}`,
      params,
    );
    return rows.map((r) => r.uid);
  }

  /**
   * Of the rows with these keys (namespace '' when cluster-scoped), the ones the page query
   * matches (whatever its limit), by one primary-key probe per key: the cost follows the keys,
   * not the table. (A join or `NOT IN` over the keys instead lets the planner, which reads the
   * `after` row comparison as one row, walk the whole range once per key.)
   */
  async keyedRows(q: Queryable, page: PageQuery, keys: { namespaces: string[]; names: string[] }): Promise<{ namespace: string; name: string; uid: string }[]> {
    if (!keys.names.length) return [];
    const { where, params, p } = this.filterOf({ ...page, limit: undefined });
    const probe = this.namespaced ? [`namespace = k.key_namespace`, `name = k.key_name`] : [`name = k.key_name`];
    return q.query<{ namespace: string; name: string; uid: string }>(
      `SELECT x.namespace, x.name, x.uid FROM unnest(${p(keys.namespaces)}::text[], ${p(keys.names)}::text[]) AS k(key_namespace, key_name)
        CROSS JOIN LATERAL (
          SELECT ${this.namespaced ? 'namespace' : `''::text AS namespace`}, name, uid::text AS uid FROM ${this.table}
           WHERE ${[...probe, ...where].join(' AND ')} OFFSET 0) x`,
      params,
    );
  }

  /** How many rows the page query matches, whatever its limit. */
  async count(q: Queryable, page: PageQuery): Promise<number> {
    const { where, params } = this.filterOf(page);
    const [row] = await q.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, params);
    return Number(row?.n ?? 0);
  }

  /** The WHERE terms of a page query, with their parameters (`p` adds one more). */
  private filterOf(page: PageQuery): { where: string[]; params: unknown[]; p: (v: unknown) => string } {
    const params: unknown[] = [];
    const where: string[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (this.namespaced && page.namespace !== undefined) where.push(`namespace = ${p(page.namespace)}`);
    for (const r of page.labelSelector) {
      switch (r.op) {
        case 'exists':
          where.push(`jsonb_exists(labels, ${p(r.key)})`);
          break;
        case '!exists':
          where.push(`NOT jsonb_exists(labels, ${p(r.key)})`);
          break;
        case 'in':
          where.push(`labels->>${p(r.key)} = ANY(${p(r.values)}::text[])`);
          break;
        case 'notin':
          where.push(`(labels->>${p(r.key)} IS NULL OR NOT (labels->>${p(r.key)} = ANY(${p(r.values)}::text[])))`);
          break;
        case 'gt':
        case 'lt': {
          // Only values Go's ParseInt reads as an int64 compare (label values are digits here:
          // they cannot start with a sign); CASE keeps the cast away from other values.
          const value = `(labels->>${p(r.key)})`;
          where.push(
            `CASE WHEN ${value} ~ '^[0-9]{1,19}$' THEN CASE WHEN ${value}::numeric <= 9223372036854775807` +
              ` THEN ${value}::numeric ${r.op === 'gt' ? '>' : '<'} ${p(r.value.toString())}::numeric ELSE false END ELSE false END`,
          );
          break;
        }
      }
    }
    for (const f of page.fieldSelector) {
      const column = f.field === 'metadata.name' ? 'name' : f.field === 'metadata.namespace' && this.namespaced ? 'namespace' : null;
      const computed = this.computedFields[f.field];
      if (column) where.push(`${column} ${f.op === '=' ? '=' : '<>'} ${p(f.value)}`);
      else if (computed) where.push(`(${computed}) ${f.op === '=' ? '=' : '<>'} ${p(f.value)}`);
      else if (f.field === 'metadata.namespace') where.push(f.op === '=' ? `${p(f.value)} = ''` : `${p(f.value)} <> ''`);
      else where.push(`COALESCE(body #>> ${p(f.field.split('.'))}::text[], '') ${f.op === '=' ? '=' : '<>'} ${p(f.value)}`);
    }
    if (page.after) {
      const op = page.after.inclusive ? '>=' : '>';
      where.push(
        this.namespaced
          ? `(namespace, name) ${op} (${p(page.after.namespace)}, ${p(page.after.name)})`
          : `name ${op} ${p(page.after.name)}`,
      );
    }
    if (page.createdAtOrBefore !== undefined) where.push(`create_rv <= ${p(page.createdAtOrBefore)}`);
    return { where, params, p };
  }

  private bodyOf(obj: T): string {
    const { resourceVersion: _rv, ...metadata } = obj.metadata;
    return JSON.stringify({ ...obj, metadata });
  }

  async insert(q: Queryable, obj: T, rv: string): Promise<void> {
    const m = obj.metadata;
    if (this.namespaced) {
      await q.query(
        `INSERT INTO ${this.table} (namespace, name, uid, resource_version, create_rv, labels, body)
         VALUES ($1, $2, $3, $4, $4, $5, $6)`,
        [m.namespace, m.name, m.uid, rv, JSON.stringify(m.labels ?? {}), this.bodyOf(obj)],
      );
    } else {
      await q.query(
        `INSERT INTO ${this.table} (name, uid, resource_version, create_rv, labels, body)
         VALUES ($1, $2, $3, $3, $4, $5)`,
        [m.name, m.uid, rv, JSON.stringify(m.labels ?? {}), this.bodyOf(obj)],
      );
    }
    obj.metadata.resourceVersion = rv;
  }

  async update(q: Queryable, obj: T, rv: string): Promise<void> {
    const m = obj.metadata;
    const key = this.namespaced ? 'namespace = $4 AND name = $5' : 'name = $5 AND $4::text IS NOT NULL';
    await q.query(
      `UPDATE ${this.table} SET resource_version = $1, labels = $2, body = $3 WHERE ${key}`,
      [rv, JSON.stringify(m.labels ?? {}), this.bodyOf(obj), m.namespace ?? '', m.name],
    );
    obj.metadata.resourceVersion = rv;
  }

  /** Bumps only the resourceVersion (a status change stored elsewhere, e.g. a tag move). */
  async touch(q: Queryable, namespace: string, name: string, rv: string): Promise<void> {
    const key = this.namespaced ? 'namespace = $2 AND name = $3' : 'name = $3 AND $2::text IS NOT NULL';
    await q.query(`UPDATE ${this.table} SET resource_version = $1 WHERE ${key}`, [rv, namespace, name]);
  }

  async remove(q: Queryable, namespace: string, name: string): Promise<void> {
    const key = this.namespaced ? 'namespace = $1 AND name = $2' : 'name = $2 AND $1::text IS NOT NULL';
    await q.query(`DELETE FROM ${this.table} WHERE ${key}`, [namespace, name]);
  }
}
