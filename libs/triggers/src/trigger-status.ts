import { jsonEqual } from '@app/api-machinery';
import { allocateResourceVersions, noteChange, type Queryable } from '@app/persistence';
import type { Trigger, TriggerCondition, TriggerStatus } from './trigger.types';
import { type TagKey, tagKeyString } from './tag-state';

/**
 * Upserts one condition; lastTransitionTime moves only when the status flips. `generation` is the
 * trigger's metadata.generation the condition was set from (metav1.Condition observedGeneration).
 */
export function setCondition(conditions: TriggerCondition[] | undefined, next: Omit<TriggerCondition, 'observedGeneration'>, time: string, generation: number): TriggerCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const merged = {
    type: next.type,
    status: next.status,
    observedGeneration: generation,
    lastTransitionTime: old && old.status === next.status ? (old.lastTransitionTime ?? time) : time,
    reason: next.reason,
    message: next.message,
  };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/**
 * A standing condition that appears (True) while `holds`, and once it has appeared turns False
 * when it no longer holds (as ChainStopped and OlderImageIgnored do, see endStopConditions); a
 * False one is kept current (reason, message) while lastTransitionTime stays.
 */
function standingCondition(
  conditions: TriggerCondition[] | undefined,
  type: string,
  holds: boolean,
  whenTrue: { reason: string; message: string },
  whenFalse: { reason: string; message: string },
  time: string,
  generation: number,
): TriggerCondition[] | undefined {
  if (holds) return setCondition(conditions, { type, status: 'True', ...whenTrue }, time, generation);
  // Once present it stays, and its reason and message follow the current state (not only its flips).
  if (conditions?.some((c) => c.type === type)) return setCondition(conditions, { type, status: 'False', ...whenFalse }, time, generation);
  return conditions;
}

/** The condition types the service sets; any other type on a Trigger was written through /status by someone else. */
const serviceConditionTypes = new Set(['Triggered', 'Paused', 'WaitingForImage', 'DeadLettered', 'EndpointDisabled', 'OlderImageIgnored', 'ChainStopped']);

/** Conditions that say why the newest evaluation did not fire although the tag has an image the trigger did not get. */
const stopConditionTypes = ['ChainStopped', 'OlderImageIgnored'];

/**
 * A stop condition describes the newest evaluation: the next one that does not stop for the same
 * reason (a fire, the tag back at the image last triggered, no image, paused, the other stop)
 * turns it False, so it never names an image the tag has moved away from. Its reason and message
 * are what that evaluation found, on a False one too (each later fire renames the image);
 * lastTransitionTime moves only when the status flips (setCondition).
 */
function endStopConditions(
  conditions: TriggerCondition[] | undefined,
  /** The stop this evaluation itself found (its condition is set True by the caller), if any. */
  except: string | undefined,
  ended: { reason: string; message: string },
  time: string,
  generation: number,
): TriggerCondition[] | undefined {
  let list = conditions;
  for (const type of stopConditionTypes) {
    if (type !== except && list?.some((c) => c.type === type)) {
      list = setCondition(list, { type, status: 'False', ...ended }, time, generation);
    }
  }
  return list;
}

/** Why a True stop condition ended, for an evaluation that did not fire and did not stop for that reason. */
function endedBy(from: TagKey, outcome: TriggerOutcome): { reason: string; message: string } | undefined {
  const tag = outcome.tag;
  switch (outcome.reason) {
    case 'UpToDate':
      return { reason: 'UpToDate', message: `${tagKeyString(from)} has ${tag?.image ?? ''}, the image last triggered` };
    case 'TagHasNoImage':
      return { reason: 'TagHasNoImage', message: `${tagKeyString(from)} has no image` };
    case 'Paused':
      return { reason: 'Paused', message: 'spec.paused is true: images are not compared until it is unpaused' };
    case 'ChainStopped':
    case 'OlderImageIgnored':
      return { reason: outcome.reason, message: `not moving to ${tag?.image ?? ''}: see condition ${outcome.reason}` };
    default:
      // A fire whose delivery existed already (a repeated evaluation): nothing new was found.
      return undefined;
  }
}

/** What one evaluation of a trigger found (see TriggerEvaluator.evaluate). */
export interface TriggerOutcome {
  /** The followed tag's image and pull spec; null when the tag has no image (or no stream). */
  tag: { image: string; pullSpec: string; changeId: string | null } | null;
  reason: string;
  /** Set when it stopped for a reason worth a standing condition (OlderImageIgnored, ChainStopped). */
  stopMessage?: string;
  /** A new delivery was recorded by this evaluation. */
  fired: boolean;
}

/**
 * The trigger's status after an evaluation of its current spec. Every evaluation observes the
 * spec (observedGeneration), so clients waiting for observedGeneration == generation always see
 * it, fire or not; standing conditions say why nothing fired: Paused, WaitingForImage,
 * OlderImageIgnored, ChainStopped. The caller writes it only when it differs from the stored one.
 */
export function statusAfterEvaluation(trigger: Trigger, from: TagKey, outcome: TriggerOutcome, time: string): TriggerStatus {
  const prev = trigger.status ?? {};
  const tag = outcome.tag;
  const generation = trigger.metadata.generation ?? 1;
  let conditions = standingCondition(
    prev.conditions,
    'Paused',
    trigger.spec.paused === true,
    { reason: 'Paused', message: 'spec.paused is true: no fires until it is unpaused, then one for the image the tag has then' },
    { reason: 'Unpaused', message: 'spec.paused is false' },
    time,
    generation,
  );
  conditions = standingCondition(
    conditions,
    'WaitingForImage',
    tag === null,
    { reason: 'TagHasNoImage', message: `${tagKeyString(from)} has no image (none pushed yet, the tag or its stream was deleted, or the stream does not exist)` },
    { reason: 'ImageAvailable', message: `${tagKeyString(from)} has ${tag?.image ?? 'an image'}` },
    time,
    generation,
  );
  let status: TriggerStatus = { ...prev, observedGeneration: generation };
  if (outcome.fired && tag) {
    status = {
      ...status,
      lastTriggeredImageID: tag.image,
      lastTriggeredImage: tag.pullSpec,
      lastTriggeredTime: time,
      ...(tag.changeId ? { lastTriggeredChangeID: tag.changeId } : {}),
    };
    conditions = setCondition(conditions, { type: 'Triggered', status: 'True', reason: outcome.reason, message: `fired for ${tag.image}` }, time, generation);
    conditions = endStopConditions(conditions, undefined, { reason: 'Fired', message: `fired for ${tag.image}` }, time, generation);
  } else {
    const ended = endedBy(from, outcome);
    if (ended) conditions = endStopConditions(conditions, outcome.reason, ended, time, generation);
    if (outcome.stopMessage !== undefined) {
      conditions = setCondition(conditions, { type: outcome.reason, status: 'True', reason: outcome.reason, message: outcome.stopMessage }, time, generation);
    }
  }
  // The evaluation observed this generation: every condition it leaves standing (Triggered after
  // an UpToDate evaluation, DeadLettered, EndpointDisabled, …) is the controller's view as of this
  // generation, so it carries it. A condition left at an older observedGeneration reads as out of
  // date to clients (`kubectl wait --for=condition=…` keeps waiting while it is older than
  // metadata.generation), although nothing about it is pending.
  // Only the service's own conditions: one another controller or a user wrote through /status is
  // its writer's view, and stamping it would claim an observation its writer never made (kube's
  // controllers leave foreign condition types alone).
  if (conditions?.length) status.conditions = conditions.map((c) => (c.observedGeneration === generation || !serviceConditionTypes.has(c.type) ? c : { ...c, observedGeneration: generation }));
  return status;
}

/** True when the status write would change nothing (conditions keep their times when unchanged). */
export function sameStatus(a: TriggerStatus | undefined, b: TriggerStatus): boolean {
  return jsonEqual(a ?? {}, b);
}

/**
 * Writes trigger statuses (set-based): each row takes a new resourceVersion and a change-log
 * entry carrying the object as written (as every change does), so watchers of triggers see
 * lastTriggeredImageID move. Run last in the transaction.
 */
export async function writeTriggerStatuses(tx: Queryable, updates: { uid: string; status: Trigger['status'] }[]): Promise<void> {
  if (!updates.length) return;
  const rvs = await allocateResourceVersions(tx, updates.length);
  const rows = updates.map((u, i) => ({ uid: u.uid, status: u.status, rv: String(rvs[i]) }));
  await tx.query(
    `WITH v AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(uid uuid, status jsonb, rv bigint)),
          upd AS (UPDATE triggers t SET resource_version = v.rv, body = jsonb_set(t.body, '{status}', v.status)
                    FROM v WHERE t.uid = v.uid RETURNING t.namespace, t.name, t.labels, t.resource_version, t.body),
          ch AS (INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object)
                 SELECT resource_version, 'triggers', namespace, name, 'MODIFIED', labels, labels,
                        jsonb_set(body, '{metadata,resourceVersion}', to_jsonb(resource_version::text)) FROM upd RETURNING rv)
     SELECT count(*) FROM ch`,
    [JSON.stringify(rows)],
    'trg-write-statuses',
  );
  noteChange(tx);
}
