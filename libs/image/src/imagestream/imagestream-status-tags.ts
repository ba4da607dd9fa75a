import { jsonEqual, nowTimestamp } from '@app/api-machinery';
import { omitEmptyConditionFields } from './imagestream.defaults';
import type { ImageStream, NamedTagEventList, TagEvent } from './imagestream.types';

/**
 * The status tags a `/status` write asks for, one per name: the list is a map upstream (v1
 * conversion keeps the last entry of a repeated name). A tag with neither items nor conditions
 * is kept: upstream's status strategy, unlike its spec and internal ones, does not collapse it.
 */
export function requestedStatusTags(stream: ImageStream): NamedTagEventList[] {
  const byName = new Map<string, NamedTagEventList>();
  for (const t of stream.status?.tags ?? []) {
    byName.delete(t.tag);
    byName.set(t.tag, t);
  }
  return [...byName.values()];
}

/** openshift strategy.go tagEventChanged: another image or reference, or an older generation. */
function tagEventChanged(old: TagEvent, next: TagEvent): boolean {
  return old.image !== next.image || old.dockerImageReference !== next.dockerImageReference || old.generation > next.generation;
}

/**
 * The status tags a `/status` write stores (openshift updateObservedGenerationForStatusUpdate):
 * items get their defaults, and a top item without a generation takes the stream's generation
 * when the write left that tag's top item as it was (or the tag had none), else the spec tag's
 * generation when the spec tag has one, else the stream's.
 */
export function prepareStatusTags(requested: NamedTagEventList[], current: NamedTagEventList[], stream: ImageStream): NamedTagEventList[] {
  const currentTops = new Map(current.map((t) => [t.tag, t.items?.[0]]));
  const specGenerations = new Map((stream.spec.tags ?? []).map((t) => [t.name, t.generation]));
  const streamGeneration = stream.metadata.generation ?? 1;
  return requested.map((t) => {
    const items = (t.items ?? []).map((item) => ({ ...item, image: item.image ?? '', generation: item.generation ?? 0 }));
    const top = items[0];
    if (top && !top.generation) {
      const before = currentTops.get(t.tag);
      const specGeneration = specGenerations.get(t.tag);
      if (!before || !tagEventChanged(before, top)) top.generation = streamGeneration;
      else top.generation = specGeneration ?? streamGeneration;
    }
    const out: NamedTagEventList = { tag: t.tag, items: items.length ? items : null };
    if (t.conditions?.length) out.conditions = t.conditions.map(omitEmptyConditionFields);
    return out;
  });
}

/** Times as the history table returns them (whole seconds, UTC); an unparsable one is kept as sent. */
function storedTime(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : nowTimestamp(new Date(ms));
}

function comparable(tags: NamedTagEventList[]): unknown {
  return [...tags]
    .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
    .map((t) => ({
      tag: t.tag,
      // Only what the history table keeps of an item.
      items: (t.items ?? []).map((i) => ({
        created: storedTime(i.created),
        dockerImageReference: i.dockerImageReference,
        image: i.image ?? '',
        generation: i.generation ?? 0,
      })),
      conditions: t.conditions ?? [],
    }));
}

/** Whether storing `next` would leave the stream's status as `current` is. */
export function sameStatusTags(next: NamedTagEventList[], current: NamedTagEventList[]): boolean {
  return jsonEqual(comparable(next), comparable(current));
}
