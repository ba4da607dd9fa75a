import type { Client } from 'pg';

/** A row trigger that fails the first matching write once, as a deadlock would (see failOnce). */
export interface FailOnce {
  /** How many matching writes the trigger has seen (the first one failed). */
  seen(): Promise<number>;
  remove(): Promise<void>;
}

/**
 * Makes the first INSERT or UPDATE of `table` whose row matches `when` (a trigger WHEN condition
 * over NEW and OLD) fail with SQLSTATE 40P01, so Database.transaction runs the whole transaction
 * again: how a test makes a write run twice without waiting out the change feed's grace period.
 * `delayMs`: the failing write first waits that long, holding its locks (a test can queue another
 * writer behind them, which then goes before the run again). The count lives in a sequence, which
 * a rollback does not undo.
 */
export async function failOnce(pg: Client, name: string, table: string, events: 'INSERT' | 'UPDATE', when: string, delayMs = 0): Promise<FailOnce> {
  const seq = `fail_once_${name}_seq`;
  const fn = `fail_once_${name}`;
  await pg.query(`CREATE SEQUENCE ${seq}`);
  await pg.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF nextval('${seq}') = 1 THEN
        PERFORM pg_sleep(${delayMs / 1000});
        RAISE EXCEPTION 'forced deadlock (test: ${name})' USING ERRCODE = '40P01';
      END IF;
      RETURN NEW;
    END $$`);
  await pg.query(`CREATE TRIGGER ${fn} BEFORE ${events} ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${fn}()`);
  return {
    async seen() {
      const { rows } = await pg.query<{ n: string }>(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END::text AS n FROM ${seq}`);
      return Number(rows[0]!.n);
    },
    async remove() {
      await pg.query(`DROP TRIGGER IF EXISTS ${fn} ON ${table}`);
      await pg.query(`DROP FUNCTION IF EXISTS ${fn}()`);
      await pg.query(`DROP SEQUENCE IF EXISTS ${seq}`);
    },
  };
}
