import type { ParameterisedSql } from '@app/persistence';
import { type OpenTestDatabase, openTestDatabase } from './support/test-database';

/**
 * Parameterised statements in a transaction's batch run as statements each connection prepared
 * once (Postgres then plans them once per connection). The pool holds 2 connections, so running
 * a statement a few times reuses both of them.
 */
describe('parameterised statements in batches (prepared once per connection)', () => {
  let t: OpenTestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => {
    await t.close();
  });

  const echo: ParameterisedSql = {
    text: `SELECT $1::text AS s, $2::bigint + 1 AS n, $3::text IS NULL AS missing, $4::jsonb AS j`,
    values: [`O'Brien \\ "x"`, 41, null, JSON.stringify({ a: [1, "it's"] })],
  };

  it('returns the rows of the statement, with every value intact, and the connection holds it prepared', async () => {
    for (let i = 0; i < 5; i++) {
      const [rows, prepared] = await t.db.transaction(async (tx) => {
        const [r] = await tx.batch([echo]);
        return [r!, await tx.query<{ statement: string }>(`SELECT statement FROM pg_prepared_statements`)];
      });
      expect(rows).toEqual([{ s: `O'Brien \\ "x"`, n: '42', missing: true, j: { a: [1, "it's"] } }]);
      expect(prepared.some((p) => p.statement.includes(echo.text))).toBe(true);
    }
  });

  it('runs statements registered with finishWith with the COMMIT', async () => {
    await t.db.query(`CREATE TABLE IF NOT EXISTS prepared_probe (k text PRIMARY KEY, v bigint)`);
    const put = (k: string, v: number): ParameterisedSql => ({ text: `INSERT INTO prepared_probe (k, v) VALUES ($1::text, $2::bigint)`, values: [k, v] });
    for (let i = 0; i < 4; i++) {
      await t.db.transaction(async (tx) => {
        tx.finishWith(put(`k${i}`, i));
      });
    }
    const rows = await t.db.query<{ k: string; v: string }>(`SELECT k, v::text AS v FROM prepared_probe ORDER BY k`);
    expect(rows).toEqual([0, 1, 2, 3].map((i) => ({ k: `k${i}`, v: String(i) })));
  });

  it('a transaction that fails after preparing leaves the connections usable', async () => {
    const failing: ParameterisedSql = { text: `SELECT 1 / $1::int AS q`, values: [0] };
    for (let i = 0; i < 3; i++) {
      await expect(t.db.transaction((tx) => tx.batch([echo, failing]))).rejects.toThrow(/division by zero/);
      await expect(t.db.transaction((tx) => tx.batch([echo, { ...failing, values: [1] }]))).resolves.toHaveLength(2);
    }
  });

  it('a statement that cannot be prepared fails its transaction; the connection is replaced, not reused unsure of what it holds', async () => {
    const fresh: ParameterisedSql = { text: `SELECT $1::text || '-fresh' AS s`, values: ['a'] };
    // Fails when PREPARE runs (a syntax error would fail the whole round trip before anything ran).
    const broken: ParameterisedSql = { text: `SELECT s FROM no_such_table WHERE s = $1::text`, values: ['a'] };
    await expect(t.db.transaction((tx) => tx.batch([fresh, broken]))).rejects.toThrow(/no_such_table/);
    // `fresh` may have been prepared before `broken` failed: a connection kept would now fail with
    // "prepared statement ... already exists" when it prepares it again.
    for (let i = 0; i < 4; i++) {
      const [rows] = await t.db.transaction((tx) => tx.batch([fresh]));
      expect(rows).toEqual([{ s: 'a-fresh' }]);
    }
  });
});
