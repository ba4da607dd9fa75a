import { isIP } from 'node:net';
import { ConfigError, type Env, envInt, envString } from './env-readers';

/** Settings of the trigger pipeline (relay, evaluation, delivery), validated once at boot. */
export interface TriggerConfig {
  /** Outgoing-URL allow list for otherwise refused (private/loopback/link-local) addresses: IPs or CIDRs. */
  allowedCidrs: string[];
  /** Host names allowed whatever they resolve to (exact match, lowercase). */
  allowedHosts: string[];
  /** Per-attempt HTTP timeout. */
  deliveryTimeoutMs: number;
  /** Attempts per delivery (per redrive) before it is dead-lettered. */
  attemptBudget: number;
  /** Backoff: first retry delay and cap (exponential with full jitter in [d/2, d]). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Per-target (URL origin) in-flight limit and rate (requests/s, 0 = unlimited) within one worker. */
  targetConcurrency: number;
  targetRatePerSecond: number;
  /** BullMQ worker concurrency for delivery and evaluation. */
  deliveryConcurrency: number;
  evaluationConcurrency: number;
  /** How long tag-change feed rows (and delivery attempts) are kept. */
  feedRetentionSeconds: number;
  /** How long a delivery is kept once it is delivered, dead-lettered or applied (default: feedRetentionSeconds). */
  deliveryRetentionSeconds: number;
  /** Relay poll interval (ms) over the tag_changes outbox. */
  relayIntervalMs: number;
  /** BullMQ job lock: how soon a job of a crashed worker is picked up again. */
  jobLockMs: number;
  /** Chains: the longest causation chain a delivery may extend. */
  chainDepthBudget: number;
  /** CloudEvents `source`. */
  eventSource: string;
  /** BullMQ key prefix of the trigger queues (isolates deployments or test runs sharing one Redis). */
  queuePrefix: string;
}

const str = envString;
const int = envInt;

function list(env: Env, name: string): string[] {
  return str(env, name, '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Validates "a.b.c.d", "a.b.c.d/n", "::1", "fd00::/8". */
export function validCidr(entry: string): boolean {
  const [addr, bits, extra] = entry.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export function loadTriggerConfig(env: Env = process.env): TriggerConfig {
  const allowedCidrs = list(env, 'TRIGGER_ALLOWED_CIDRS');
  for (const c of allowedCidrs) {
    if (!validCidr(c)) throw new ConfigError('TRIGGER_ALLOWED_CIDRS', `has an entry that is not an IP or CIDR: "${c}"`);
  }
  const allowedHosts = list(env, 'TRIGGER_ALLOWED_HOSTS').map((h) => h.toLowerCase());
  for (const h of allowedHosts) {
    if (!/^[a-z0-9.-]+$/.test(h)) throw new ConfigError('TRIGGER_ALLOWED_HOSTS', `has an entry that is not a host name: "${h}"`);
  }
  const backoffBaseMs = int(env, 'TRIGGER_BACKOFF_BASE_MS', 1000, 1, 3_600_000);
  const backoffMaxMs = int(env, 'TRIGGER_BACKOFF_MAX_MS', 300_000, 1, 86_400_000);
  if (backoffMaxMs < backoffBaseMs) {
    throw new ConfigError('TRIGGER_BACKOFF_MAX_MS', `must be at least TRIGGER_BACKOFF_BASE_MS (${backoffBaseMs}), got ${backoffMaxMs}`);
  }
  const feedRetentionSeconds = int(env, 'TRIGGER_FEED_RETENTION_SECONDS', 7 * 24 * 3600, 60, 366 * 24 * 3600);
  const eventSource = str(env, 'TRIGGER_EVENT_SOURCE', '/imagestreamd');
  if (/\s/.test(eventSource)) throw new ConfigError('TRIGGER_EVENT_SOURCE', `must be a URI-reference without spaces, got "${eventSource}"`);
  const deliveryTimeoutMs = int(env, 'TRIGGER_DELIVERY_TIMEOUT_MS', 5000, 100, 120_000);
  const jobLockMs = int(env, 'TRIGGER_JOB_LOCK_MS', 30_000, 1000, 600_000);
  // The lease of a claimed delivery (and a job's lock) must outlast a POST in flight plus the
  // statements around it, else the sweeper sends it again while the first is still open: at least
  // twice the attempt bound (the defaults, 5 s and 30 s, leave ample room).
  if (jobLockMs < 2 * deliveryTimeoutMs) {
    throw new ConfigError(
      'TRIGGER_JOB_LOCK_MS',
      `must be at least twice TRIGGER_DELIVERY_TIMEOUT_MS (${deliveryTimeoutMs}), so a delivery's lease outlasts its POST; got ${jobLockMs}`,
    );
  }
  return {
    allowedCidrs,
    allowedHosts,
    deliveryTimeoutMs,
    attemptBudget: int(env, 'TRIGGER_ATTEMPT_BUDGET', 8, 1, 100),
    backoffBaseMs,
    backoffMaxMs,
    targetConcurrency: int(env, 'TRIGGER_TARGET_CONCURRENCY', 16, 1, 1000),
    targetRatePerSecond: int(env, 'TRIGGER_TARGET_RATE_PER_SECOND', 200, 0, 100_000),
    deliveryConcurrency: int(env, 'TRIGGER_DELIVERY_CONCURRENCY', 64, 1, 1000),
    evaluationConcurrency: int(env, 'TRIGGER_EVALUATION_CONCURRENCY', 4, 1, 100),
    feedRetentionSeconds,
    deliveryRetentionSeconds: int(env, 'TRIGGER_DELIVERY_RETENTION_SECONDS', feedRetentionSeconds, 60, 10 * 366 * 24 * 3600),
    relayIntervalMs: int(env, 'TRIGGER_RELAY_INTERVAL_MS', 1000, 1, 60_000),
    jobLockMs,
    chainDepthBudget: int(env, 'TRIGGER_CHAIN_DEPTH_BUDGET', 8, 1, 100),
    eventSource,
    queuePrefix: queuePrefix(env),
  };
}

function queuePrefix(env: Env): string {
  const v = str(env, 'TRIGGER_QUEUE_PREFIX', 'bull');
  // The same characters as QUEUE_PREFIX: an instance's two prefixes are often made alike (`isd.a`, `isd.a-t`).
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new ConfigError('TRIGGER_QUEUE_PREFIX', `must be 1-64 letters, digits, ., - or _, got "${v}"`);
  return v;
}
