import { ApiError } from '@app/api-machinery';
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import { CHANGE_CHANNEL, type ChangeRecord } from './change-log';
import { ChangeNotifier } from './change-notifier';
import type { VersionTracking } from './resource-version';
import { isClosedVersionConflict } from './version-gap';
import { type BatchStatement, preparesMissing, renderStatement } from './session-statements';

/** Something SQL can run on: the pool, or one open transaction. */
export interface Queryable {
  /**
   * `name` makes it a named prepared statement: Postgres parses and plans it once per
   * connection (worth it on hot reads, where planning costs more than executing).
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<T[]>;
  /**
   * A change-log row was written: the change feeds are woken (NOTIFY) once it is committed (at
   * the end of a transaction; at once for a statement run on the pool).
   */
  noteChange?(): void;
}

/** Tells `q` that a change-log row was written through it (see Queryable.noteChange). */
export function noteChange(q: Queryable): void {
  q.noteChange?.();
}

export type Isolation = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** A release of versions that failed is retried this often, RELEASE_RETRY_MS × the attempt apart. */
const RELEASE_RETRIES = 5;
const RELEASE_RETRY_MS = 100;

/** Runs of a transaction (or pool statement) that fails with a retryable error, at most. */
const MAX_RUNS = 5;

/** SQLSTATEs that mean "try the whole transaction again": serialization failure, deadlock. */
const retryableStates = new Set(['40001', '40P01']);
/** SQLSTATE classes and Node errors that mean Postgres is unreachable → 503 so senders retry. */
const unavailableStates = /^(08|53|57P)/;
/** Postgres ended the session of a transaction left idle too long (idle_in_transaction_session_timeout). */
const IDLE_IN_TRANSACTION_TIMEOUT = '25P03';
/** A statement waited longer than lock_timeout (DB_LOCK_TIMEOUT_MS) for a lock another session holds. */
const LOCK_NOT_AVAILABLE = '55P03';
const unavailableErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export function isUnavailableError(e: unknown): boolean {
  const err = e as { code?: string; message?: string; driverError?: { code?: string } };
  const code = err.driverError?.code ?? err.code;
  if (code && (unavailableStates.test(code) || unavailableErrnos.has(code) || code === IDLE_IN_TRANSACTION_TIMEOUT)) return true;
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
  // Retried already (see transaction): the write kept outlasting the change feed's grace period.
  if (isClosedVersionConflict(e)) return ApiError.unavailable('the write took too long to commit and was abandoned, please retry');
  // Postgres refused a value the request carried (data exception, or an index entry too large):
  // the request is at fault, not the server. Validation catches what it knows of first; this is
  // the backstop, so that nothing of the kind becomes a 500.
  const code = pgErrorCode(e);
  if (code === LOCK_NOT_AVAILABLE) return ApiError.timeout('request did not complete within requested timeout - a lock it needed was held by another session for longer than DB_LOCK_TIMEOUT_MS');
  if (code && (code.startsWith('22') || code === '54000')) {
    return ApiError.badRequest(`the request holds a value that cannot be stored: ${(e as Error).message}`);
  }
  return e;
}

/** An open transaction. */
export interface Transaction extends Queryable {
  /**
   * Runs statements (parameterless ones with values inlined by `sqlLiteral`, or parameterised
   * ones, which run as prepared statements: see ParameterisedSql) in one round trip and returns
   * each one's rows; opens the transaction in the same trip when it is the first call.
   */
  batch(statements: BatchStatement[]): Promise<Record<string, unknown>[][]>;
  /**
   * Registers a statement to run in the same round trip as COMMIT. Writes that take the global
   * resourceVersion lock put it here, so the lock is held for one server-side step instead of
   * several client round trips.
   */
  finishWith(statement: BatchStatement): void;
  /**
   * Sends the statements registered with finishWith so far (one round trip, no COMMIT), for a
   * transaction that must read what they wrote before it goes on.
   */
  flush(): Promise<void>;
  /**
   * Runs statements, then those registered with finishWith, then COMMIT, in one round trip
   * (BEGIN too when nothing was sent yet), and returns the rows of `statements`. The
   * transaction is over afterwards: a statement that fails aborts it (and nothing commits).
   */
  commitWith(statements: BatchStatement[]): Promise<Record<string, unknown>[][]>;
}

type Rows = Record<string, unknown>[];

/** BEGIN is sent lazily, with the first statement when that one has no parameters. */
class PgTransaction implements Transaction, VersionTracking {
  readonly tail: BatchStatement[] = [];
  readonly allocated: bigint[] = [];
  standIns = 0;
  /** Versions were taken or change-log rows written: the feeds are woken after COMMIT. */
  changed = false;
  private begun = false;
  /** COMMIT was sent (commitWith): ending the transaction has nothing left to do. */
  private committed = false;
  /** Preparing statements failed: which ones this connection holds is unknown, so it is discarded. */
  unsure = false;

  constructor(
    private readonly client: PoolClient,
    private readonly begin: string,
    readonly rollsBack = false,
  ) {}

  private async ensureBegun(): Promise<void> {
    if (this.begun) return;
    await this.client.query(this.begin);
    this.begun = true;
  }

  async query<T>(sql: string, params?: unknown[], name?: string): Promise<T[]> {
    await this.ensureBegun();
    const res = name ? await this.client.query({ name, text: sql, values: params }) : await this.client.query(sql, params);
    return res.rows as T[];
  }

  async batch(statements: BatchStatement[]): Promise<Rows[]> {
    const prefix = this.begun ? [] : [this.begin];
    this.begun = true;
    return this.simple([...prefix, ...statements], statements.length);
  }

  async commitWith(statements: BatchStatement[]): Promise<Rows[]> {
    const prefix = this.begun ? [] : [this.begin];
    this.begun = true;
    const tail = this.tail.splice(0, this.tail.length);
    const rows = await this.simple([...prefix, ...statements, ...tail, 'COMMIT'], statements.length + tail.length + 1);
    this.committed = true;
    return rows.slice(0, statements.length);
  }

  /**
   * Simple-protocol multi-statement query; returns the rows of the last `count` statements. The
   * connection first prepares the parameterised statements it has not met yet (once per
   * connection, in a round trip of its own, so a failure there cannot be mistaken for the batch's).
   */
  private async simple(statements: BatchStatement[], count: number): Promise<Rows[]> {
    const prepares = preparesMissing(this.client, statements);
    if (prepares.sql.length) {
      try {
        await this.client.query(prepares.sql.join(';\n'));
      } catch (e) {
        this.unsure = true;
        throw e;
      }
      prepares.done();
    }
    const res = (await this.client.query(statements.map(renderStatement).join(';\n'))) as unknown as QueryResult | QueryResult[];
    const all = Array.isArray(res) ? res : [res];
    return all.slice(all.length - count).map((r) => r.rows as Rows);
  }

  finishWith(statement: BatchStatement): void {
    this.tail.push(statement);
  }

  async flush(): Promise<void> {
    if (this.tail.length === 0) return;
    const statements = this.tail.splice(0, this.tail.length);
    await this.batch(statements);
  }

  noteAllocated(rvs: bigint[]): void {
    this.allocated.push(...rvs);
    this.changed = true;
  }

  noteChange(): void {
    this.changed = true;
  }

  async end(rollback: boolean): Promise<void> {
    if (this.committed) {
      if (rollback) throw new Error('commitWith in a transaction that must roll back');
      return;
    }
    if (!this.begun && this.tail.length === 0) return;
    const prefix = this.begun ? [] : [this.begin];
    await this.simple([...prefix, ...(rollback ? [] : this.tail), rollback ? 'ROLLBACK' : 'COMMIT'], 0);
  }

  get open(): boolean {
    return this.begun && !this.committed;
  }
}

const guarded = Symbol('checked-out error listener');

/**
 * pg's pool listens for a connection's 'error' only while the connection is idle in the pool. A
 * checked-out one that Postgres cuts between two statements (a restart, a failover,
 * pg_terminate_backend) while its holder awaits something else (Redis, say) emits 'error' with no
 * listener, and Node ends the process. Every pooled connection gets a listener of its own for when
 * it is checked out: the error is dropped here because it surfaces anyway, as "not queryable", on
 * the holder's next statement (→ 503), and the pool discards the connection when it comes back.
 */
function guardCheckedOutClients(pool: Pool | undefined): void {
  if (!pool || (pool as unknown as Record<symbol, boolean>)[guarded]) return;
  (pool as unknown as Record<symbol, boolean>)[guarded] = true;
  pool.on('acquire', (client: PoolClient) => {
    const c = client as unknown as Record<symbol, boolean>;
    if (c[guarded]) return;
    c[guarded] = true;
    client.on('error', () => undefined);
  });
}

/** The change feed's view of which versions are settled. */
export interface VersionHorizon {
  position(): string;
  waitFor(rv: string, timeoutMs: number): Promise<void>;
  /** Calls fn for every change, in version order, synchronously as the position reaches it. */
  onChange(fn: (change: ChangeRecord) => void): () => void;
}

export { sqlLiteral } from './sql-literal';

/**
 * The only place that opens transactions. Uses the pg pool behind the TypeORM DataSource with
 * plain SQL: the resource machinery needs row locks, ON CONFLICT and advisory locks, which SQL
 * says best, and raw pg keeps the hot paths to as few round trips as possible.
 */
export class Database implements Queryable {
  constructor(readonly dataSource: DataSource) {
    guardCheckedOutClients(this.pool);
  }

  /** The URL the pool connects with, for a session of its own (LISTEN); undefined if not built from one. */
  get connectionUrl(): string | undefined {
    return (this.dataSource.options as { url?: string }).url;
  }

  /**
   * Marks versions taken by a transaction that did not commit, so the change feed need not wait
   * for them (NONE rows carry no change).
   */
  /**
   * `via`: the connection that ran the transaction, still checked out. Using it (not the pool)
   * matters: with every pooled connection held by a rolled-back transaction, a pool query here
   * would wait for a connection none of them gives back until the pool's connect timeout.
   */
  private async releaseVersions(rvs: bigint[], via: PoolClient | undefined): Promise<void> {
    if (rvs.length === 0) return;
    await (via ?? this.pool).query(
      `WITH ins AS (
         INSERT INTO resource_changes (rv, resource, namespace, name, type)
         SELECT v, '', '', '', 'NONE' FROM unnest($1::bigint[]) AS v ON CONFLICT (rv) DO NOTHING RETURNING rv)
       SELECT count(*) FROM ins`,
      [rvs.map(String)],
    );
    this.notifier.kick();
  }

  /**
   * A release that failed (the connection was cut, and the pool's next one with it, as a Postgres
   * restart or failover cuts them all) is tried again a few times off the request path: until the
   * NONE rows are in, the change feed waits for those versions (GAP_GRACE_MS), delaying every
   * watch and bypassing the ImageStreamTag read cache meanwhile.
   */
  private releaseLater(rvs: bigint[], attempt = 1): void {
    if (rvs.length === 0 || attempt > RELEASE_RETRIES) return;
    setTimeout(() => {
      this.releaseVersions(rvs, undefined).catch(() => this.releaseLater(rvs, attempt + 1));
    }, RELEASE_RETRY_MS * attempt).unref();
  }

  /** One NOTIFY per burst of commits, sent after them (see ChangeNotifier). */
  private readonly notifier = new ChangeNotifier(() => this.pool.query(`SELECT pg_notify('${CHANGE_CHANNEL}', '')`));

  /** A change-log row written by a statement on the pool (autocommit) is committed already. */
  noteChange(): void {
    this.notifier.kick();
  }

  private horizonProvider: VersionHorizon | undefined;

  /** The change feed of this process registers the version up to which every change is known. */
  setVersionHorizon(provider: VersionHorizon): void {
    this.horizonProvider = provider;
  }

  /**
   * Subscribes to the committed changes this process's change feed reads, in version order;
   * undefined when no feed runs in this process (yet).
   */
  subscribeToChanges(fn: (change: ChangeRecord) => void): (() => void) | undefined {
    return this.horizonProvider?.onChange(fn);
  }

  /**
   * Every change at or below the returned version has committed. Waits up to `waitMs` for the
   * horizon to reach `atLeast` (the feed is usually a few milliseconds behind the newest commit).
   * Undefined when no change feed runs in this process.
   */
  async versionHorizon(atLeast?: string, waitMs = 100): Promise<string | undefined> {
    if (!this.horizonProvider) return undefined;
    if (atLeast !== undefined) await this.horizonProvider.waitFor(atLeast, waitMs);
    return this.horizonProvider.position();
  }

  private get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      let failed: unknown;
      try {
        const res = name ? await client.query({ name, text: sql, values: params }) : await client.query(sql, params);
        return res.rows as T[];
      } catch (e) {
        failed = e;
        // One statement is atomic: one that met a closed version changed nothing and runs again.
        if (isClosedVersionConflict(e) && attempt < MAX_RUNS) continue;
        throw translate(e);
      } finally {
        // As pg's pool.query does: a connection whose statement failed is not reused.
        client.release(failed === undefined ? undefined : true);
      }
    }
  }

  /**
   * A pooled connection. Failing to get one means the storage is unreachable, whatever Postgres
   * answered the connection attempt with (refused, starting up or shutting down, too many
   * connections, the database not accepting connections): 503, so the sender retries. Postgres's
   * own words are not passed on (they name the database).
   */
  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch {
      throw ApiError.unavailable('the storage backend is unavailable, please retry');
    }
  }

  /**
   * Runs fn in one transaction; commits unless fn throws or `rollback` is requested (dry-run).
   * Deadlocks and serialization failures are retried a few times: they are transient by definition.
   * So is a version closed by a change feed while the transaction held it (see closeVersionGap).
   */
  async transaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options: { isolation?: Isolation; rollback?: boolean } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient | undefined;
      let tx: PgTransaction | undefined = undefined;
      let broken = false;
      try {
        client = await this.connect();
        tx = new PgTransaction(client, `BEGIN ISOLATION LEVEL ${options.isolation ?? 'READ COMMITTED'}`, options.rollback === true);
        const result = await fn(tx);
        await tx.end(options.rollback === true);
        // A dry run took versions it will never commit: release them for the change feed.
        if (options.rollback) await this.releaseVersions(tx.allocated, client).catch(() => undefined);
        else if (tx.changed) this.notifier.kick();
        return result;
      } catch (e) {
        if (tx?.unsure) broken = true;
        if (client && tx?.open && !broken) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
        }
        if (broken) {
          client!.release(true);
          client = undefined;
        }
        if (tx) await this.releaseVersions(tx.allocated, client).catch(() => this.releaseLater(tx!.allocated));
        const code = pgErrorCode(e);
        if (((code && retryableStates.has(code)) || isClosedVersionConflict(e)) && attempt < MAX_RUNS) continue;
        throw translate(e);
      } finally {
        client?.release(broken ? true : undefined);
      }
    }
  }
}
