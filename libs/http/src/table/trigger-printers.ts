import type { Delivery, Trigger, TriggerSecret } from '@app/triggers';
import { column, type TablePrinter } from './table.types';

const GROUP = 'triggers.imagestreamd.io';

/**
 * A duration the way kubectl prints ages (k8s.io/apimachinery duration.HumanDuration): about two
 * significant figures, `45s`, `3m20s`, `2h5m`, `12d`, `2y30d`.
 */
export function kubeDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8)
    return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** What kube printers show for an absent value (kubectl prints a null cell as nothing at all). */
const none = '<none>';

/** Time since an RFC 3339 timestamp, kubectl style; `<none>` when absent. */
export function age(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string' || !timestamp) return none;
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? none : kubeDuration(now.getTime() - t);
}

/** `sha256:` and the first 12 hex digits (as short image ids are printed); `<none>` when absent. */
export function shortDigest(digest: unknown): string {
  if (typeof digest !== 'string' || !digest) return none;
  const [algorithm, hex] = digest.split(':');
  return hex ? `${algorithm}:${hex.slice(0, 12)}` : digest;
}

const nameColumn = column('Name', 'Name must be unique within a namespace.', { format: 'name' });
const ageColumn = (priority = 0) =>
  column('Age', 'Time since the object was created (its creationTimestamp).', { priority });

const triggerPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('From', 'The followed ImageStreamTag, <namespace>/<stream>:<tag>.'),
    column('Target', 'The dependent, <kind>/<name>.'),
    column('Paused', 'Whether firing is paused.', { type: 'boolean' }),
    column('Last Image', 'The image (digest) of the last fire.'),
    column('Last Triggered', 'Time since the last fire.'),
    column('URL', 'Where events are delivered.', { priority: 1 }),
    column('Secret', 'The TriggerSecret that signs deliveries.', { priority: 1 }),
    column('Conditions', 'Conditions that are True.', { priority: 1 }),
    ageColumn(1),
  ],
  cells(obj, now) {
    const t = obj as unknown as Partial<Trigger>;
    const spec = t.spec;
    const status = t.status ?? {};
    const from = spec?.from
      ? `${spec.from.namespace || t.metadata?.namespace || ''}/${spec.from.name}`
      : none;
    const target = spec?.target ? `${spec.target.kind}/${spec.target.name}` : none;
    const conditions = (status.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);
    return [
      t.metadata?.name ?? '',
      from,
      target,
      spec?.paused === true,
      shortDigest(status.lastTriggeredImageID),
      age(status.lastTriggeredTime, now),
      spec?.delivery?.url ?? none,
      spec?.delivery?.secretRef?.name ?? none,
      conditions.length ? conditions.join(',') : none,
      age(t.metadata?.creationTimestamp, now),
    ];
  },
};

const deliveryPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Trigger', 'The Trigger that fired (<kind>/<name> for annotated workloads).'),
    column('Image', 'The image (digest) delivered.'),
    column('State', 'pending, delivered, dead, or applied (annotated workloads).'),
    column('Attempts', 'Attempts of the current redrive generation.', { type: 'integer' }),
    column('Last Code', 'HTTP status of the last attempt.', { type: 'integer' }),
    ageColumn(),
    column('URL', 'Where it is POSTed.', { priority: 1 }),
    column('Next Attempt', 'Time until the next attempt (pending only).', { priority: 1 }),
    column('Last Error', 'Why the last attempt failed.', { priority: 1 }),
  ],
  cells(obj, now) {
    const d = obj as unknown as Partial<Delivery>;
    const owner = d.spec?.owner;
    const status = d.status;
    const next =
      status?.state === 'pending' && status.nextAttemptTime ? Date.parse(status.nextAttemptTime) : NaN;
    return [
      d.metadata?.name ?? '',
      owner ? (owner.kind === 'Trigger' ? owner.name : `${owner.kind}/${owner.name}`) : none,
      shortDigest(d.spec?.image),
      status?.state ?? none,
      status?.attempts ?? 0,
      // An integer column: null (printed empty) rather than a string when nothing answered yet.
      status?.lastStatusCode ?? null,
      age(d.metadata?.creationTimestamp, now),
      d.spec?.url ?? none,
      Number.isNaN(next) ? none : kubeDuration(Math.max(0, next - now.getTime())),
      status?.lastError ?? none,
    ];
  },
};

const triggerSecretPrinter: TablePrinter = {
  columns: [
    nameColumn,
    column('Keys', 'Which signing keys are set (key, previousKey during a rotation).'),
    ageColumn(),
  ],
  cells(obj, now) {
    // Served objects are redacted: only dataKeys, never data.
    const secret = obj as unknown as Partial<TriggerSecret>;
    return [
      secret.metadata?.name ?? '',
      secret.dataKeys?.length ? secret.dataKeys.join(',') : none,
      age(secret.metadata?.creationTimestamp, now),
    ];
  },
};

/** Columns of the triggers.imagestreamd.io kinds, by `<group>/<resource>`. */
export const triggerPrinters: Record<string, TablePrinter> = {
  [`${GROUP}/triggers`]: triggerPrinter,
  [`${GROUP}/triggers/status`]: triggerPrinter,
  [`${GROUP}/deliveries`]: deliveryPrinter,
  [`${GROUP}/triggersecrets`]: triggerSecretPrinter,
};
