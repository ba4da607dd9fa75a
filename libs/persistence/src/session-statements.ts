import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { sqlLiteral } from './sql-literal';

export type SqlValue = string | number | bigint | boolean | null;

/**
 * A statement whose values travel apart from its text (`$1`, `$2`, … placeholders, each with a
 * cast that fixes its type). In a Transaction's batch it runs as `EXECUTE` of a statement the
 * connection prepared once, so Postgres parses and plans it once per connection instead of on
 * every call (planning cost more than executing on the mapping path). The text must be one of a
 * bounded set (values never inlined into it): every distinct text is prepared on every connection.
 */
export interface ParameterisedSql {
  text: string;
  values: readonly SqlValue[];
}

/** What a Transaction's batch and finishWith take: a parameterless statement (values inlined) or a parameterised one. */
export type BatchStatement = string | ParameterisedSql;

const names = new Map<string, string>();
const preparedOn = new WeakMap<PoolClient, Set<string>>();

function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `isd_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return sqlLiteral(typeof value === 'boolean' ? String(value) : value);
}

/** The SQL that runs `statement` on a connection that has prepared it (see preparesMissing). */
export function renderStatement(statement: BatchStatement): string {
  if (typeof statement === 'string') return statement;
  const name = nameOf(statement.text);
  return statement.values.length ? `EXECUTE ${name}(${statement.values.map(literal).join(', ')})` : `EXECUTE ${name}`;
}

/**
 * The PREPARE statements `client` still needs before it can run `statements`, and a function
 * to call once they ran (they then last as long as the connection: PREPARE is not undone by a
 * ROLLBACK). If running them failed, the connection's set of prepared statements is unknown and
 * it must be discarded.
 */
export function preparesMissing(client: PoolClient, statements: readonly BatchStatement[]): { sql: string[]; done(): void } {
  let prepared = preparedOn.get(client);
  if (!prepared) preparedOn.set(client, (prepared = new Set()));
  const missing = new Map<string, string>();
  for (const s of statements) {
    if (typeof s === 'string') continue;
    const name = nameOf(s.text);
    if (!prepared.has(name)) missing.set(name, `PREPARE ${name} AS ${s.text}`);
  }
  return {
    sql: [...missing.values()],
    done: () => missing.forEach((_, name) => prepared.add(name)),
  };
}
