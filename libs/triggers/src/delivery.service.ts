import type { TriggerConfig } from '@app/config';
import { type Database, type Queryable } from '@app/persistence';
import { Agent, request } from 'undici';
import { nowTimestamp } from '@app/api-machinery';
import { setCondition, writeTriggerStatuses } from './evaluator';
import { signedHeaders } from './signing';
import { AddressPolicy, SsrfError } from './ssrf';
import { signingKeys } from './stores';
import { backoffMs, TargetLimiter } from './target-limiter';
import type { Trigger } from './trigger.types';

export interface DeliveryRow {
  id: string;
  namespace: string;
  owner_kind: string;
  owner_name: string;
  owner_uid: string;
  url: string;
  target_key: string;
  event: object;
  state: string;
  generation: number;
  attempts: number;
}

/** What the queue layer should do after an attempt. */
export type AttemptOutcome =
  | { kind: 'done' }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'retry'; attempt: number; delayMs: number }
  | { kind: 'dead' };

const permanentStatus = (code: number) => code >= 400 && code < 500 && ![408, 425, 429].includes(code);

/**
 * One HTTP attempt of one delivery: sign, POST, record the attempt (time, status, latency,
 * error), then mark delivered, schedule the next attempt with backoff, or dead-letter it.
 * The body is the stored event, byte-identical on every attempt, and `webhook-id` is the
 * delivery id, so a receiver dedupes retries and crash re-runs by it.
 */
export class DeliveryService {
  readonly policy: AddressPolicy;
  readonly limiter: TargetLimiter;
  private readonly agent: Agent;

  constructor(
    private readonly db: Database,
    private readonly config: TriggerConfig,
  ) {
    this.policy = new AddressPolicy(config.allowedCidrs, config.allowedHosts);
    this.limiter = new TargetLimiter(config.targetConcurrency, config.targetRatePerSecond);
    this.agent = new Agent({
      connect: { lookup: this.policy.connectLookup(), timeout: config.deliveryTimeoutMs },
      keepAliveTimeout: 10_000,
      connections: config.targetConcurrency,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  async load(q: Queryable, id: string): Promise<DeliveryRow | null> {
    const [row] = await q.query<DeliveryRow>(
      `SELECT id, namespace, owner_kind, owner_name, owner_uid::text AS owner_uid, url, target_key, event, state, generation, attempts
         FROM trigger_deliveries WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }

  async attempt(id: string, generation: number, attempt: number): Promise<AttemptOutcome> {
    const d = await this.load(this.db, id);
    // Delivered, dead, or superseded by a redrive: nothing to do (exactly-once effect on our side).
    if (!d || d.state !== 'pending' || d.generation !== generation || d.attempts >= attempt) return { kind: 'done' };
    const slot = this.limiter.tryAcquire(d.target_key);
    if ('retryInMs' in slot) return { kind: 'busy', retryInMs: slot.retryInMs };
    try {
      return await this.send(d, attempt);
    } finally {
      slot.release();
    }
  }

  private async headersFor(d: DeliveryRow): Promise<{ headers: Record<string, string>; keys: string[]; error?: string }> {
    const [row] = await this.db.query<{ spec: Trigger['spec'] | null }>(`SELECT body->'spec' AS spec FROM triggers WHERE uid = $1`, [d.owner_uid]);
    const spec = row?.spec;
    const headers: Record<string, string> = { ...(spec?.delivery.headers ?? {}) };
    const secretName = spec?.delivery.secretRef?.name;
    if (!secretName) return { headers, keys: [] };
    const keys = await signingKeys(this.db, d.namespace, secretName);
    if (!keys) return { headers, keys: [], error: `signing secret ${d.namespace}/${secretName} not found` };
    return { headers, keys };
  }

  private async send(d: DeliveryRow, attempt: number): Promise<AttemptOutcome> {
    const body = JSON.stringify(d.event);
    const [started] = await this.db.query<{ id: string }>(
      `INSERT INTO trigger_delivery_attempts (delivery_id, generation, attempt) VALUES ($1, $2, $3) RETURNING id::text AS id`,
      [d.id, d.generation, attempt],
    );
    const t0 = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let permanent = false;
    try {
      const prepared = await this.headersFor(d);
      if (prepared.error) throw new Error(prepared.error);
      const keys = prepared.keys;
      await this.policy.check(d.url);
      const ts = Math.floor(Date.now() / 1000);
      const res = await request(d.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          ...prepared.headers,
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'user-agent': 'imagestreamd-triggers/1',
          ...signedHeaders(keys, d.id, ts, body),
        },
        body,
        headersTimeout: this.config.deliveryTimeoutMs,
        bodyTimeout: this.config.deliveryTimeoutMs,
        signal: AbortSignal.timeout(this.config.deliveryTimeoutMs),
      });
      statusCode = res.statusCode;
      await res.body.dump();
      if (statusCode < 200 || statusCode >= 300) {
        error = `receiver answered ${statusCode}`;
        permanent = permanentStatus(statusCode);
      }
    } catch (e) {
      const err = e as Error;
      error = err.name === 'TimeoutError' || err.name === 'AbortError' ? `timed out after ${this.config.deliveryTimeoutMs} ms` : err.message;
      permanent = e instanceof SsrfError || /signing secret/.test(err.message);
    }
    const latency = Math.round(performance.now() - t0);
    const ok = error === null;
    const dead = !ok && (permanent || attempt >= this.config.attemptBudget);
    const delayMs = ok || dead ? 0 : backoffMs(attempt, this.config.backoffBaseMs, this.config.backoffMaxMs);
    const state = ok ? 'delivered' : dead ? 'dead' : 'pending';
    await this.db.transaction(async (tx) => {
      await tx.query(`UPDATE trigger_delivery_attempts SET finished_at = clock_timestamp(), status_code = $2, latency_ms = $3, error = $4 WHERE id = $1`, [
        started!.id,
        statusCode,
        latency,
        error,
      ]);
      await tx.query(
        `UPDATE trigger_deliveries SET attempts = $2, state = $3, last_error = $4, last_status_code = $5,
                next_attempt_at = now() + make_interval(secs => $6::float8 / 1000),
                delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
                dead_at = CASE WHEN $3 = 'dead' THEN now() ELSE dead_at END
          WHERE id = $1 AND generation = $7`,
        [d.id, attempt, state, error, statusCode, delayMs, d.generation],
      );
      if (d.owner_kind === 'Trigger' && (dead || ok)) await this.recordOnTrigger(tx, d, dead, error);
    });
    if (ok) return { kind: 'done' };
    if (dead) return { kind: 'dead' };
    return { kind: 'retry', attempt: attempt + 1, delayMs };
  }

  /** Dead letters show on the trigger (condition DeadLettered=True); a later success clears it. */
  private async recordOnTrigger(tx: Queryable, d: DeliveryRow, dead: boolean, error: string | null): Promise<void> {
    const [row] = await tx.query<{ status: Trigger['status'] | null; gen: number | null }>(
      `SELECT body->'status' AS status, (body->'metadata'->>'generation')::int AS gen FROM triggers WHERE uid = $1 FOR UPDATE`,
      [d.owner_uid],
    );
    if (!row) return;
    const prev = row.status ?? {};
    const current = prev.conditions?.find((c) => c.type === 'DeadLettered');
    if (!dead && current?.status !== 'True') return;
    const conditions = setCondition(
      prev.conditions,
      dead
        ? { type: 'DeadLettered', status: 'True', reason: 'AttemptBudgetExhausted', message: `delivery ${d.id} dead-lettered: ${error ?? ''}` }
        : { type: 'DeadLettered', status: 'False', reason: 'Delivered', message: `delivery ${d.id} delivered` },
      nowTimestamp(),
    );
    await writeTriggerStatuses(tx, [{ uid: d.owner_uid, status: { ...prev, conditions } }]);
  }
}
