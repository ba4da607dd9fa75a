import type { Delivery, Trigger, TriggerSecret } from '@app/triggers';
import { age, kubeDuration, none } from './kube-duration';
import { column, type TablePrinter } from './table.types';

const GROUP = 'triggers.imagestreamd.io';

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
    ageColumn(),
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

/** A change in the pull feed (TagChangeEvent): the tag, the image it left and the one it moved to (none when it lost its image). */
const tagChangeEventPrinter: TablePrinter = {
  columns: [
    column('Name', 'The feed position (resume a list or watch after it).', { format: 'name' }),
    column('Tag', 'The ImageStreamTag that moved, <stream>:<tag>.'),
    column('From', 'The image it left (<none> for a new tag).'),
    column('To', 'The image it moved to (<none> when it lost its image).'),
    column('Cause', 'What moved it: registry, mapping, alias, import, spec, …'),
    ageColumn(),
  ],
  cells(obj, now) {
    const e = obj as { metadata?: { name?: string; creationTimestamp?: string }; stream?: string; tag?: string; from?: string | null; to?: string; cause?: string };
    return [e.metadata?.name ?? '', `${e.stream ?? ''}:${e.tag ?? ''}`, shortDigest(e.from), shortDigest(e.to), e.cause ?? none, age(e.metadata?.creationTimestamp, now)];
  },
};

/** Columns of the triggers.imagestreamd.io kinds, by `<group>/<resource>`. */
export const triggerPrinters: Record<string, TablePrinter> = {
  [`${GROUP}/triggers`]: triggerPrinter,
  [`${GROUP}/triggers/status`]: triggerPrinter,
  [`${GROUP}/deliveries`]: deliveryPrinter,
  [`${GROUP}/triggersecrets`]: triggerSecretPrinter,
  [`${GROUP}/tagchangeevents`]: tagChangeEventPrinter,
};
