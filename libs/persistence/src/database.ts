import { ApiError } from '@app/api-machinery';
import { escapeLiteral } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/** Something SQL can run on: the pool, or one open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export type Isolation = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** SQLSTATEs that mean "try the whole transaction again": serialization failure, deadlock. */
const retryableStates = new Set(['40001', '40P01']);
/** SQLSTATE classes and Node errors that mean Postgres is unreachable → 503 so senders retry. */
const unavailableStates = /^(08|53|57P)/;
const unavailableErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export function isUnavailableError(e: unknown): boolean {
  const err = e as { code?: string; message?: string; driverError?: { code?: string } };
  const code = err.driverError?.code ?? err.code;
  if (code && (unavailableStates.test(code) || unavailableErrnos.has(code))) return true;
  const msg = err.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused/i.test(msg);
}

export function pgErrorCode(e: unknown): string | undefined {
  const err = e as { code?: string; driverError?: { code?: string } };
  return err.driverError?.code ?? err.code;
}

function translate(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  if (isUnavailableError(e)) return ApiError.unavailable('the storage backend is unavailable, please retry');
  return e;
}

/** An open transaction. */
export interface Transaction extends Queryable {
  /**
   * Registers a parameterless statement to run in the same round trip as COMMIT (values inlined
   * with `sqlLiteral`). Writes that take the global resourceVersion lock put it here, so the lock
   * is held for one server-side step instead of several client round trips.
   */
  finishWith(sql: string): void;
}

class TransactionQueryable implements Transaction {
  tail: string[] = [];
  constructor(private readonly runner: QueryRunner) {}
  async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return (await this.runner.query(sql, params)) as T[];
  }
  finishWith(sql: string): void {
    this.tail.push(sql);
  }
}

/** A SQL literal for `finishWith` statements (pg's own escaping). */
export function sqlLiteral(value: string | number | bigint | null): string {
  if (value === null) return 'NULL';
  return escapeLiteral(String(value));
}

/**
 * The only place that opens transactions. Wraps the TypeORM DataSource (its pg pool) with plain
 * SQL: the resource machinery needs row locks, ON CONFLICT and advisory locks, which SQL says best.
 */
export class Database implements Queryable {
  constructor(readonly dataSource: DataSource) {}

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    try {
      return (await this.dataSource.query(sql, params)) as T[];
    } catch (e) {
      throw translate(e);
    }
  }

  /**
   * Runs fn in one transaction; commits unless fn throws or `rollback` is requested (dry-run).
   * Deadlocks and serialization failures are retried a few times: they are transient by definition.
   */
  async transaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options: { isolation?: Isolation; rollback?: boolean } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let runner: QueryRunner | undefined;
      try {
        runner = this.dataSource.createQueryRunner();
        await runner.connect();
        await runner.query(`BEGIN ISOLATION LEVEL ${options.isolation ?? 'READ COMMITTED'}`);
        const tx = new TransactionQueryable(runner);
        const result = await fn(tx);
        const end = options.rollback ? 'ROLLBACK' : 'COMMIT';
        // No parameters → pg's simple protocol, which runs several statements in one round trip.
        await runner.query(tx.tail.length ? `${tx.tail.join(';\n')};\n${end}` : end);
        return result;
      } catch (e) {
        if (runner && !runner.isReleased) {
          await runner.query('ROLLBACK').catch(() => undefined);
        }
        const code = pgErrorCode(e);
        if (code && retryableStates.has(code) && attempt < 5) continue;
        throw translate(e);
      } finally {
        if (runner && !runner.isReleased) await runner.release().catch(() => undefined);
      }
    }
  }
}
