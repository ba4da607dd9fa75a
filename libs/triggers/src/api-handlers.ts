import {
  ApiError,
  type FieldError,
  fieldErr,
  type ListOptions,
  type ListResult,
  refOf,
  validateNamespaceName,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import type { Database, ResourceHandler } from '@app/persistence';
import type { TriggerEvaluator } from './evaluator';
import { deliveriesInfo, deliveryRedrivesInfo, pushPreviewsInfo, tagChangeEventsInfo } from './resource-infos';
import { parseStreamTag, TRIGGER_API_VERSION } from './trigger.types';

const iso = (d: Date | string | null) => (d === null ? undefined : new Date(d).toISOString());

interface DeliveryDbRow {
  id: string;
  seq: string;
  namespace: string;
  owner_kind: string;
  owner_name: string;
  owner_uid: string;
  idempotency_key: string;
  image: string;
  url: string;
  state: string;
  generation: number;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
  event: object;
  attempt_list: { generation: number; attempt: number; startedAt: string; finishedAt: string | null; statusCode: number | null; latencyMs: number | null; error: string | null }[] | null;
}

function toDelivery(r: DeliveryDbRow) {
  return {
    kind: 'Delivery',
    apiVersion: TRIGGER_API_VERSION,
    metadata: {
      name: r.id,
      namespace: r.namespace,
      uid: r.id,
      creationTimestamp: iso(r.created_at),
      labels: { 'triggers.imagestreamd.io/trigger': r.owner_name, 'triggers.imagestreamd.io/state': r.state },
    },
    spec: { owner: { kind: r.owner_kind, name: r.owner_name, uid: r.owner_uid }, idempotencyKey: r.idempotency_key, image: r.image, url: r.url, event: r.event },
    status: {
      state: r.state,
      redriveGeneration: r.generation,
      attempts: r.attempts,
      lastStatusCode: r.last_status_code ?? undefined,
      lastError: r.last_error ?? undefined,
      nextAttemptTime: r.state === 'pending' ? iso(r.next_attempt_at) : undefined,
      deliveredTime: iso(r.delivered_at),
      deadLetteredTime: iso(r.dead_at),
      attemptHistory: r.attempt_list ?? [],
    },
  };
}

const deliverySelect = `
  SELECT d.*, d.seq::text AS seq, d.owner_uid::text AS owner_uid,
         (SELECT jsonb_agg(jsonb_build_object('generation', a.generation, 'attempt', a.attempt, 'startedAt', a.started_at,
                  'finishedAt', a.finished_at, 'statusCode', a.status_code, 'latencyMs', a.latency_ms, 'error', a.error) ORDER BY a.id)
            FROM trigger_delivery_attempts a WHERE a.delivery_id = d.id) AS attempt_list
    FROM trigger_deliveries d`;

/**
 * Deliveries (read-only): every fire with its event and attempt history. Label selectors
 * `triggers.imagestreamd.io/trigger=<name>` and `triggers.imagestreamd.io/state=<state>`;
 * `limit`/`continue` page in creation order.
 */
export class DeliveriesHandler implements ResourceHandler {
  readonly info = deliveriesInfo;
  constructor(private readonly db: Database) {}

  async get(namespace: string, name: string) {
    const [row] = await this.db.query<DeliveryDbRow>(`${deliverySelect} WHERE d.namespace = $1 AND d.id = $2`, [namespace, name]);
    if (!row) throw ApiError.notFound(refOf(this.info), name);
    return toDelivery(row);
  }

  async list(o: ListOptions): Promise<ListResult<object>> {
    const params: unknown[] = [];
    const where: string[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (o.namespace) where.push(`d.namespace = ${p(o.namespace)}`);
    for (const r of o.labelSelector) {
      const column = r.key === 'triggers.imagestreamd.io/trigger' ? 'd.owner_name' : r.key === 'triggers.imagestreamd.io/state' ? 'd.state' : null;
      if (!column) throw ApiError.badRequest(`unsupported label selector key for deliveries: ${r.key}`);
      if (r.op === 'in') where.push(`${column} = ANY(${p(r.values)}::text[])`);
      else if (r.op === 'notin') where.push(`NOT (${column} = ANY(${p(r.values)}::text[]))`);
    }
    if (o.continueToken) {
      if (!/^\d+$/.test(o.continueToken)) throw ApiError.badRequest('invalid continue token');
      where.push(`d.seq > ${p(o.continueToken)}`);
    }
    const limit = o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : 500;
    const rows = await this.db.query<DeliveryDbRow>(
      `${deliverySelect} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.seq LIMIT ${p(limit + 1)}`,
      params,
    );
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    return { metadata: { resourceVersion: '0', ...(more ? { continue: items[items.length - 1]!.seq } : {}) }, items: items.map(toDelivery) };
  }
}

/**
 * DeliveryRedrive (create-only): `spec.delivery` redrives one dead delivery, `spec.trigger` all
 * dead deliveries of a trigger, neither = every dead delivery in the namespace. The worker's
 * sweeper picks them up (a fresh attempt budget; webhook-id unchanged).
 */
export class DeliveryRedriveHandler implements ResourceHandler {
  readonly info = deliveryRedrivesInfo;
  constructor(private readonly db: Database) {}

  async create(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    const rawSpec = (body as { spec?: unknown } | null)?.spec ?? {};
    // A malformed spec must not widen into "redrive the whole namespace".
    if (typeof rawSpec !== 'object' || rawSpec === null || Array.isArray(rawSpec)) {
      throw ApiError.invalid(refOf(this.info), '', [fieldErr.invalid('spec', rawSpec, 'must be an object with delivery and/or trigger')]);
    }
    const spec = rawSpec as { delivery?: unknown; trigger?: unknown };
    const errors: FieldError[] = [];
    if (spec.delivery !== undefined && typeof spec.delivery !== 'string') errors.push(fieldErr.invalid('spec.delivery', spec.delivery, 'must be a delivery name'));
    if (spec.trigger !== undefined && typeof spec.trigger !== 'string') errors.push(fieldErr.invalid('spec.trigger', spec.trigger, 'must be a trigger name'));
    if (errors.length) throw ApiError.invalid(refOf(this.info), '', errors);
    const run = async (q: Database | Parameters<Parameters<Database['transaction']>[0]>[0]) =>
      q.query<{ id: string }>(
        `UPDATE trigger_deliveries SET state = 'pending', generation = generation + 1, attempts = 0,
                next_attempt_at = now() - interval '1 hour', dead_at = NULL
          WHERE namespace = $1 AND state = 'dead' AND ($2::text IS NULL OR id = $2) AND ($3::text IS NULL OR owner_name = $3)
          RETURNING id`,
        [namespace, (spec.delivery) ?? null, (spec.trigger) ?? null],
      );
    const rows = await this.db.transaction(run, { rollback: options.dryRun });
    if (typeof spec.delivery === 'string' && rows.length === 0) {
      const [exists] = await this.db.query(`SELECT state FROM trigger_deliveries WHERE namespace = $1 AND id = $2`, [namespace, spec.delivery]);
      if (!exists) throw ApiError.notFound(refOf(deliveriesInfo), spec.delivery);
    }
    return {
      code: 201,
      body: { kind: 'DeliveryRedrive', apiVersion: TRIGGER_API_VERSION, metadata: { namespace }, spec, status: { redriven: rows.map((r) => r.id) } },
    };
  }
}

/**
 * PushPreview (create-only, no side effect): `metadata.name` = `stream:tag`, `spec.image` = the
 * digest of a hypothetical push (`spec.dockerImageReference` optional). Answers which triggers
 * would fire and the exact CloudEvent each would receive (`time` is set when it really fires), and
 * for annotated workloads which annotation entries would set their image, with the JSON patch.
 */
export class PushPreviewHandler implements ResourceHandler {
  readonly info = pushPreviewsInfo;
  constructor(private readonly evaluator: TriggerEvaluator) {}

  async create(namespace: string, body: unknown): Promise<WriteResult> {
    const b = (body ?? {}) as { metadata?: { name?: string }; spec?: { image?: string; dockerImageReference?: string } };
    const name = b.metadata?.name ?? '';
    const errors: FieldError[] = [...validateNamespaceName(namespace)];
    const st = parseStreamTag(name);
    if (!st) errors.push(fieldErr.invalid('metadata.name', name, 'must be of the form <stream>:<tag>'));
    const image = b.spec?.image;
    if (typeof image !== 'string' || !/^[a-z0-9]+:[a-f0-9]{32,}$/.test(image)) errors.push(fieldErr.invalid('spec.image', image ?? '', 'must be an image digest'));
    if (errors.length) throw ApiError.invalid(refOf(this.info), name, errors);
    const key = { namespace, stream: st!.stream, tag: st!.tag };
    const { tag, results, workloads } = await this.evaluator.preview(key, image!, b.spec?.dockerImageReference);
    return {
      code: 201,
      body: {
        kind: 'PushPreview',
        apiVersion: TRIGGER_API_VERSION,
        metadata: { name, namespace },
        spec: b.spec,
        status: {
          streamFound: tag !== null,
          triggers: results.map((r) => ({
            namespace: r.trigger.metadata.namespace,
            name: r.trigger.metadata.name,
            wouldFire: r.decision.fire && !!r.event,
            reason: r.decision.reason,
            ...(r.event ? { deliveryId: r.event.id, idempotencyKey: r.key, url: r.trigger.spec.delivery.url, event: r.event } : {}),
          })),
          // Annotated workloads (image.openshift.io/triggers): one entry per annotation entry following the tag.
          workloads: workloads.map((w) => ({
            kind: w.kind,
            namespace: w.namespace,
            name: w.name,
            fieldPath: w.fieldPath,
            wouldFire: w.fire,
            reason: w.reason,
            ...(w.event ? { deliveryId: w.event.id, idempotencyKey: w.idempotencyKey, patch: w.event.data.patch, event: w.event } : {}),
          })),
        },
      },
    };
  }
}

/**
 * The durable pull feed of tag moves (tag_changes): list in commit order after a cursor,
 * `continue=<id>` resumes (the list's resourceVersion is the cursor to resume from); kept for TRIGGER_FEED_RETENTION_SECONDS. A cursor older than the
 * retained feed gets 410 Expired so the consumer knows it missed events.
 */
export class TagChangeFeedHandler implements ResourceHandler {
  readonly info = tagChangeEventsInfo;
  constructor(private readonly db: Database) {}

  async list(o: ListOptions): Promise<ListResult<object>> {
    const cursor = o.continueToken ?? '0';
    if (!/^\d+$/.test(cursor)) throw ApiError.badRequest('invalid continue token: must be a tag change id');
    const limit = o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : 500;
    const params: unknown[] = [cursor, limit + 1];
    const nsFilter = o.namespace ? `AND namespace = $3` : '';
    if (o.namespace) params.push(o.namespace);
    const [rows, [oldest]] = await Promise.all([
      this.db.query<{ id: string; recorded_at: Date; namespace: string; stream: string; tag: string; previous_image: string | null; image: string; docker_image_reference: string; cause: string }>(
        `SELECT id::text AS id, recorded_at, namespace, stream, tag, previous_image, image, docker_image_reference, cause
           FROM tag_changes WHERE id > $1 ${nsFilter} ORDER BY id LIMIT $2`,
        params,
      ),
      this.db.query<{ id: string | null }>(`SELECT min(id)::text AS id FROM tag_changes`),
    ]);
    if (cursor !== '0' && oldest?.id && BigInt(cursor) < BigInt(oldest.id) - 1n) {
      throw ApiError.gone(`the cursor ${cursor} is older than the retained feed (oldest ${oldest.id})`);
    }
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1]?.id ?? cursor;
    return {
      metadata: { resourceVersion: last, ...(more ? { continue: last } : {}) },
      items: items.map((r) => ({
        kind: 'TagChangeEvent',
        apiVersion: TRIGGER_API_VERSION,
        metadata: { name: r.id, namespace: r.namespace, creationTimestamp: r.recorded_at.toISOString() },
        type: r.previous_image ? 'tag.moved' : 'tag.created',
        stream: r.stream,
        tag: r.tag,
        from: r.previous_image,
        to: r.image,
        dockerImageReference: r.docker_image_reference,
        cause: r.cause,
      })),
    };
  }
}
