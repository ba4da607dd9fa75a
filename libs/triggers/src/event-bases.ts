import { jsonEqual } from '@app/api-machinery';
import type { CloudEvent } from './cloudevent';

type JsonObject = Record<string, unknown>;

/**
 * The events of one evaluation page, split into what they all share (stored once, in
 * trigger_delivery_event_bases) and what is each delivery's own (its row's `event`). A tag
 * change's fan-out sends the same image, tag, causation chain and mostly the same time, reason
 * and previous image to every trigger; only the id, source and trigger (and target, patch) differ.
 *
 * An attribute is shared when every event has it with an equal value, at the top level (except
 * `data`) and inside `data`; the two parts never have a key in common, so eventSql's merge gives
 * back each event exactly (as jsonb, so the text Postgres prints and POSTs is the same too).
 * Fewer than two events share nothing: `base` is null and each part is the whole event.
 */
export function splitEvents(events: CloudEvent[]): { base: JsonObject | null; parts: JsonObject[] } {
  // As Postgres will store them: JSON drops undefined members.
  const plain = events.map((e) => JSON.parse(JSON.stringify(e)) as JsonObject & { data: JsonObject });
  if (plain.length < 2) return { base: null, parts: plain };
  const sharedKeys = (objects: JsonObject[], skip: string[]) =>
    Object.keys(objects[0]!).filter(
      (k) => !skip.includes(k) && objects.every((o) => k in o && jsonEqual(o[k], objects[0]![k])),
    );
  const top = sharedKeys(plain, ['data', 'id']);
  const data = sharedKeys(
    plain.map((e) => e.data),
    [],
  );
  const pick = (o: JsonObject, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));
  const omit = (o: JsonObject, keys: string[]) =>
    Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
  return {
    base: { ...pick(plain[0]!, top), data: pick(plain[0]!.data, data) },
    parts: plain.map((e) => ({ ...omit(e, [...top, 'data']), data: omit(e.data, data) })),
  };
}

/**
 * SQL: the whole event of delivery row `d`, given its base row `b` (LEFT JOINed on
 * `b.id = d.event_base`; rows without a base hold the whole event).
 */
export function eventSql(d: string, b: string): string {
  return `CASE WHEN ${b}.event IS NULL THEN ${d}.event
               ELSE (${b}.event - 'data') || (${d}.event - 'data') || jsonb_build_object('data', (${b}.event->'data') || (${d}.event->'data')) END`;
}

/** SQL: the join that eventSql needs. */
export function eventBaseJoin(d: string, b: string): string {
  return `LEFT JOIN trigger_delivery_event_bases ${b} ON ${b}.id = ${d}.event_base`;
}
