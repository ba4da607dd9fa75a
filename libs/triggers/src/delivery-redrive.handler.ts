import {
  ApiError,
  type FieldError,
  fieldErr,
  generateName,
  nowTimestamp,
  refOf,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import type { Database, Queryable, ResourceHandler } from '@app/persistence';
import { versionDeliveries } from './delivery-versions';
import { endpointDisabledSql, reenabledConditions } from './endpoint-disabled';
import { deliveriesInfo, deliveryRedrivesInfo, triggersInfo } from './resource-infos';
import { targetKeyOf } from './target-limiter';
import { type Trigger, TRIGGER_API_VERSION } from './trigger.types';
import { writeTriggerStatuses } from './trigger-status';
import { checkCreateEnvelope } from './create-envelope';

/**
 * DeliveryRedrive (create-only): `spec.delivery` redrives one dead delivery, `spec.trigger` all
 * dead deliveries of a trigger, neither = every dead delivery in the namespace (both but for those
 * a later fire of their owner superseded, listed in `status.superseded`). The worker's
 * sweeper picks them up (a fresh attempt budget; webhook-id unchanged).
 */
export class DeliveryRedriveHandler implements ResourceHandler {
  readonly info = deliveryRedrivesInfo;
  constructor(private readonly db: Database) {}

  async create(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    checkCreateEnvelope(this.info, namespace, body);
    const rawSpec = (body as { spec?: unknown } | null)?.spec ?? {};
    // A malformed spec must not widen into "redrive the whole namespace".
    if (typeof rawSpec !== 'object' || rawSpec === null || Array.isArray(rawSpec)) {
      throw ApiError.invalid(refOf(this.info), '', [
        fieldErr.invalid('spec', rawSpec, 'must be an object with delivery and/or trigger'),
      ]);
    }
    const spec = rawSpec as { delivery?: unknown; trigger?: unknown };
    const errors: FieldError[] = [];
    // An unknown field (a typo of `trigger`) must not be dropped either: that too would widen the redrive.
    for (const k of Object.keys(spec)) {
      if (k !== 'delivery' && k !== 'trigger')
        errors.push(fieldErr.notSupported(`spec.${k}`, k, ['delivery', 'trigger']));
    }
    if (spec.delivery !== undefined && typeof spec.delivery !== 'string')
      errors.push(fieldErr.invalid('spec.delivery', spec.delivery, 'must be a delivery name'));
    if (spec.trigger !== undefined && typeof spec.trigger !== 'string')
      errors.push(fieldErr.invalid('spec.trigger', spec.trigger, 'must be a trigger name'));
    if (errors.length) throw ApiError.invalid(refOf(this.info), '', errors);
    const run = async (q: Queryable) => {
      if (typeof spec.delivery === 'string')
        await checkNamedDelivery(q, namespace, spec.delivery, spec.trigger as string | undefined);
      const params = [namespace, spec.delivery ?? null, spec.trigger ?? null];
      // A redrive naming a trigger, or one of its deliveries, asks for that trigger's endpoint
      // again: one a 410 Gone disabled is re-enabled first (in this transaction), so the redrive
      // sends. A namespace-wide redrive names no endpoint: disabled ones keep their dead letters.
      const reenabled =
        spec.delivery === undefined && spec.trigger === undefined
          ? []
          : await reenableOwners(
              q,
              namespace,
              (spec.delivery as string | undefined) ?? null,
              (spec.trigger as string | undefined) ?? null,
            );
      // Orphaned deliveries are not redriven: their trigger (its URL, headers and signing secret) is
      // gone, and a trigger created again under its name does not adopt them.
      const candidates = `d.namespace = $1 AND d.state = 'dead' AND NOT d.orphaned AND ($2::text IS NULL OR d.id = $2) AND ($3::text IS NULL OR d.owner_name = $3)
        AND ($2::text IS NOT NULL OR $3::text IS NOT NULL OR NOT EXISTS (SELECT 1 FROM triggers t WHERE t.uid = d.owner_uid AND ${endpointDisabledSql('t')}))`;
      // A redrive of many replays an owner's dead fires up to its newest, not past it: a dead fire
      // that a later fire of the same owner has since been delivered after (or is being sent
      // after) stays dead, else the replay would move the receiver back to an older image than
      // the one it last got. Naming the delivery redrives it all the same: the user's explicit
      // choice, as an explicit rollback is.
      const superseded = `$2::text IS NULL AND EXISTS (SELECT 1 FROM trigger_deliveries n
        WHERE n.namespace = d.namespace AND n.owner_name = d.owner_name AND n.owner_uid = d.owner_uid AND n.seq > d.seq AND n.state <> 'dead')`;
      const dead = `${candidates} AND NOT (${superseded})`;
      // A redrive goes to the owner's current URL: fixing a wrong spec.delivery.url and redriving
      // is how such a dead letter is recovered (headers and secret are read at send time anyway).
      const owners = await q.query<{ uid: string; url: string | null }>(
        `SELECT t.uid::text AS uid, t.body->'spec'->'delivery'->>'url' AS url FROM triggers t
          WHERE t.uid IN (SELECT d.owner_uid FROM trigger_deliveries d WHERE ${dead})`,
        params,
      );
      const targets = owners.flatMap((o) =>
        o.url ? [{ uid: o.uid, url: o.url, target_key: targetKeyOf(o.url) }] : [],
      );
      const redriven = await q.query<{ id: string; owner_name: string }>(
        `WITH o AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS o(uid uuid, url text, target_key text))
         UPDATE trigger_deliveries d SET state = 'pending', generation = generation + 1, attempts = 0,
                next_attempt_at = now() - interval '1 hour', leased_until = NULL, dead_at = NULL,
                url = COALESCE((SELECT o.url FROM o WHERE o.uid = d.owner_uid), d.url),
                target_key = COALESCE((SELECT o.target_key FROM o WHERE o.uid = d.owner_uid), d.target_key)
          WHERE ${dead}
          RETURNING d.id, d.owner_name`,
        [...params, JSON.stringify(targets)],
      );
      await versionDeliveries(
        q,
        redriven.map((r) => ({
          id: r.id,
          namespace,
          owner: r.owner_name,
          state: 'pending',
          prevState: 'dead',
        })),
      );
      const skipped = await q.query<{ id: string }>(
        `SELECT d.id FROM trigger_deliveries d WHERE ${candidates} AND ${superseded} ORDER BY d.seq`,
        params,
      );
      return { redriven, reenabled, superseded: skipped.map((r) => r.id) };
    };
    const {
      redriven: rows,
      reenabled,
      superseded,
    } = await this.db.transaction(run, { rollback: options.dryRun });
    if (typeof spec.trigger === 'string' && rows.length === 0) {
      const [exists] = await this.db.query(`SELECT 1 FROM triggers WHERE namespace = $1 AND name = $2`, [
        namespace,
        spec.trigger,
      ]);
      if (!exists) throw ApiError.notFound(refOf(triggersInfo), spec.trigger);
    }
    // Nothing is stored; the answer carries the request's name (or one made from generateName) so clients can print it.
    const meta = (body as { metadata?: { name?: unknown; generateName?: unknown } }).metadata ?? {};
    const name =
      typeof meta.name === 'string' && meta.name
        ? meta.name
        : typeof meta.generateName === 'string' && meta.generateName
          ? generateName(meta.generateName)
          : undefined;
    return {
      code: 201,
      body: {
        kind: 'DeliveryRedrive',
        apiVersion: TRIGGER_API_VERSION,
        metadata: { ...(name ? { name } : {}), namespace, creationTimestamp: nowTimestamp() },
        spec,
        status: {
          redriven: rows.map((r) => r.id),
          ...(reenabled.length ? { reenabled } : {}),
          ...(superseded.length ? { superseded } : {}),
        },
      },
    };
  }
}

/**
 * A redrive naming one delivery (checked under its row lock, before anything is re-enabled): 404
 * when there is none, 409 when it is orphaned (no owner to send for), 422 when `spec.trigger`
 * names another owner, 409 when it is not dead (a delivered or pending delivery is not redriven;
 * saying so beats an empty `redriven`).
 */
async function checkNamedDelivery(
  q: Queryable,
  namespace: string,
  id: string,
  trigger: string | undefined,
): Promise<void> {
  const [d] = await q.query<{ state: string; owner_name: string; orphaned: boolean }>(
    `SELECT state, owner_name, orphaned FROM trigger_deliveries WHERE namespace = $1 AND id = $2 FOR UPDATE`,
    [namespace, id],
  );
  if (!d) throw ApiError.notFound(refOf(deliveriesInfo), id);
  if (d.orphaned) {
    throw ApiError.conflict(
      refOf(deliveriesInfo),
      id,
      `the delivery is orphaned (its owner "${d.owner_name}" was deleted with propagationPolicy Orphan): only deliveries with an owner are redriven`,
    );
  }
  if (trigger !== undefined && d.owner_name !== trigger) {
    throw ApiError.invalid(refOf(deliveryRedrivesInfo), '', [
      fieldErr.invalid(
        'spec.delivery',
        id,
        `is a delivery of "${d.owner_name}", not of trigger "${trigger}"`,
      ),
    ]);
  }
  if (d.state !== 'dead')
    throw ApiError.conflict(
      refOf(deliveriesInfo),
      id,
      `the delivery is ${d.state}: only dead deliveries are redriven`,
    );
}

/**
 * Re-enables the endpoint of the trigger named, or of the trigger owning the delivery named, when
 * a 410 Gone disabled it (see endpoint-disabled.ts). Returns the names of the triggers re-enabled.
 */
async function reenableOwners(
  q: Queryable,
  namespace: string,
  delivery: string | null,
  trigger: string | null,
): Promise<string[]> {
  const rows = await q.query<{
    uid: string;
    name: string;
    status: Trigger['status'] | null;
    generation: number | null;
  }>(
    `SELECT t.uid::text AS uid, t.name, t.body->'status' AS status, (t.body->'metadata'->>'generation')::int AS generation FROM triggers t
      WHERE t.namespace = $1 AND ${endpointDisabledSql('t')}
        AND ($3::text IS NULL OR t.name = $3)
        AND ($2::text IS NULL OR t.uid = (SELECT d.owner_uid FROM trigger_deliveries d WHERE d.namespace = $1 AND d.id = $2))
      FOR UPDATE`,
    [namespace, delivery, trigger],
  );
  const time = nowTimestamp();
  await writeTriggerStatuses(
    q,
    rows.map((r) => ({
      uid: r.uid,
      status: {
        ...(r.status ?? {}),
        conditions: reenabledConditions(r.status?.conditions, 'Redriven', time, r.generation ?? 1),
      },
    })),
  );
  return rows.map((r) => r.name);
}
