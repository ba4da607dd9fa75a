import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadTriggerConfig } from '@app/config';
import { Database } from '@app/persistence';
import { createTestDatabase } from '@app/testing';
import { DeliveriesHandler, DeliveryService } from '@app/triggers';
import { migrations } from '../migrations';
import { DeliveryWriteCost1733500000000 } from '../migrations/1733500000000-DeliveryWriteCost';

/**
 * DeliveryWriteCost moves a claim's lease from next_attempt_at to leased_until, and
 * DeliveryEventBases stores what a page's events share once (rows before it keep whole events). Deliveries written
 * by the code before it (a lease in next_attempt_at, an attempt left open by a crashed sender)
 * keep their meaning after the upgrade, and the migration goes down and up again with them in place.
 */
describe('migrations DeliveryWriteCost and DeliveryEventBases: existing deliveries', () => {
  const upTo = migrations.indexOf(DeliveryWriteCost1733500000000);
  let drop: () => Promise<void>;
  let url: string;
  let ds: DataSource;
  let db: Database;
  const owner = randomUUID();
  const image = `sha256:${'b'.repeat(64)}`;
  const splitWhole = {
    id: 'msg_split',
    type: 't',
    data: { tag: 'latest', causation: [], trigger: { name: 't' } },
  };

  const dataSource = (list: typeof migrations) =>
    new DataSource({
      type: 'postgres',
      url,
      migrations: list,
      migrationsTableName: 'typeorm_migrations',
      entities: [],
      synchronize: false,
      poolSize: 2,
    });

  beforeAll(async () => {
    // An empty database (the test template's schema is dropped), migrated up to the one before.
    const t = await createTestDatabase();
    drop = () => t.drop();
    url = t.url;
    const admin = dataSource([]);
    await admin.initialize();
    await admin.query(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`);
    await admin.destroy();
    const before = dataSource(migrations.slice(0, upTo));
    await before.initialize();
    await before.runMigrations({ transaction: 'each' });
    // As the code before left them: in flight (leased through next_attempt_at by a claim), and
    // overdue with its sender's attempt never finished.
    await before.query(
      `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, image, url, target_key, event, attempts, claims, next_attempt_at)
       VALUES ('msg_leased', $1 || '/' || $2, 'demo', 'Trigger', 't', $1::uuid, $2, 'http://127.0.0.1:9/hook', 'http://127.0.0.1:9', '{"id":"msg_leased"}', 0, 1, now() + interval '1 minute'),
              ('msg_overdue', $1 || '/x', 'demo', 'Trigger', 't', $1::uuid, $2, 'http://127.0.0.1:9/hook', 'http://127.0.0.1:9', '{"id":"msg_overdue"}', 1, 2, now() - interval '1 minute')`,
      [owner, image],
    );
    await before.query(
      `INSERT INTO trigger_delivery_attempts (delivery_id, generation, attempt) VALUES ('msg_overdue', 1, 2)`,
    );
    await before.destroy();
    ds = dataSource(migrations);
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    db = new Database(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await drop?.();
  });

  it('keeps a lease taken before the upgrade, and sends an overdue delivery closing its interrupted attempt', async () => {
    const leased = await new DeliveriesHandler(db).get('demo', 'msg_leased');
    expect(Date.parse(leased.status.nextAttemptTime!)).toBeGreaterThan(Date.now() + 30_000);
    expect(leased.spec.idempotencyKey).toBe(`${owner}/${image}`);

    const service = new DeliveryService(db, loadTriggerConfig({ TRIGGER_DELIVERY_TIMEOUT_MS: '500' }));
    try {
      // The leased one is not claimed: no request, no attempt.
      expect(await service.attempt('msg_leased', 1, 1)).toEqual({ kind: 'done' });
      expect(
        await db.query(`SELECT 1 FROM trigger_delivery_attempts WHERE delivery_id = 'msg_leased'`),
      ).toHaveLength(0);
      // The overdue one is claimed (its address is refused: dead-lettered) and its open attempt closed.
      expect(await service.attempt('msg_overdue', 1, 2)).toEqual({ kind: 'dead' });
    } finally {
      await service.close();
    }
    const attempts = await db.query<{ error: string; finished: boolean }>(
      `SELECT error, finished_at IS NOT NULL AS finished FROM trigger_delivery_attempts WHERE delivery_id = 'msg_overdue' ORDER BY id`,
    );
    expect(attempts).toHaveLength(2);
    expect(attempts.every((a) => a.finished)).toBe(true);
    expect(attempts[0]!.error).toMatch(/^interrupted/);
    const [row] = await db.query<{ state: string; leased: boolean }>(
      `SELECT state, leased_until IS NOT NULL AS leased FROM trigger_deliveries WHERE id = 'msg_overdue'`,
    );
    expect(row).toEqual({ state: 'dead', leased: false });
  });

  it('reads events stored whole before DeliveryEventBases as they were, and split ones whole', async () => {
    const leased = await new DeliveriesHandler(db).get('demo', 'msg_leased');
    expect(leased.spec.event).toEqual({ id: 'msg_leased' });
    const [base] = await db.query<{ id: string }>(
      `INSERT INTO trigger_delivery_event_bases (event) VALUES ($1) RETURNING id::text`,
      [JSON.stringify({ type: 't', data: { tag: 'latest', causation: [] } })],
    );
    await db.query(
      `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, image, url, target_key, event, event_base, state)
       VALUES ('msg_split', 'split', 'demo', 'Trigger', 't', $1::uuid, $2, 'http://127.0.0.1:9/hook', 'http://127.0.0.1:9', $3, $4::bigint, 'delivered')`,
      [owner, image, JSON.stringify({ id: 'msg_split', data: { trigger: { name: 't' } } }), base!.id],
    );
    const split = await new DeliveriesHandler(db).get('demo', 'msg_split');
    expect(split.spec.event).toEqual(splitWhole);
  });

  it('keeps one delivery per idempotency key through the primary key, and goes down and up again with the rows in place', async () => {
    // A second record of the same fire (same key, so the same id) changes nothing.
    const again = await db.query(
      `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, image, url, target_key, event)
       VALUES ('msg_leased', $1 || '/' || $2, 'demo', 'Trigger', 't', $1::uuid, $2, 'http://127.0.0.1:9/hook', 'http://127.0.0.1:9', '{}')
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [owner, image],
    );
    expect(again).toHaveLength(0);
    // A lease taken by the new code goes back to next_attempt_at when the migration is undone.
    await db.query(
      `UPDATE trigger_deliveries SET leased_until = now() + interval '1 hour' WHERE id = 'msg_leased'`,
    );
    // Migrations added after this one are undone first.
    for (let i = migrations.length - 1; i >= upTo; i--) await ds.undoLastMigration({ transaction: 'each' });
    const [back] = await db.query<{ ahead: boolean }>(
      `SELECT next_attempt_at > now() + interval '50 minutes' AS ahead FROM trigger_deliveries WHERE id = 'msg_leased'`,
    );
    expect(back).toEqual({ ahead: true });
    // Undoing DeliveryEventBases gave every split event back whole.
    const [whole] = await db.query<{ event: unknown }>(
      `SELECT event FROM trigger_deliveries WHERE id = 'msg_split'`,
    );
    expect(whole!.event).toEqual(splitWhole);
    await ds.runMigrations({ transaction: 'each' });
    const [cols] = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM information_schema.columns WHERE table_name = 'trigger_deliveries' AND column_name = 'leased_until'`,
    );
    expect(cols).toEqual({ n: '1' });
  });
});
