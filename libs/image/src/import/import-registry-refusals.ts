import { ApiError, refOf } from '@app/api-machinery';
import type { Queryable } from '@app/persistence';
import {
  type AddedStatusItem,
  addedStatusRefusals,
  allowedEitherWay,
  type RegistryCheck,
  specRefusals,
  statusRepositories,
} from '../allowed-registries/allowed-registries.validation';
import type { RegistryAllowList } from '../allowed-registries/registry-allow-list';
import type { TagEvent } from '../imagestream/imagestream.types';
import { isRepositoryInsecure } from '../imagestream/insecure-repository';
import { aliasesOf } from '../imagestream/tag-aliases';
import { imageStreamsInfo } from '../resources/resource-infos';
import { decideTagEvent } from '../tag-history/add-tag-event';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';
import type { StreamImportPlan } from './stream-import-plan';

/** One tag event the import adds, over the tag's newest event at that point (undefined: none). */
interface TagWrite {
  tag: string;
  event: TagEvent;
  top: TagEvent | undefined;
}

/**
 * Where the added events land in the status, as the tag history's dedupe puts them: a new event
 * is items[0] and pushes the others down; one that only updates the newest event replaces it.
 */
function addedItems(writes: TagWrite[]): AddedStatusItem[] {
  const stacks = new Map<string, string[]>();
  for (const w of writes) {
    const decision = decideTagEvent(w.top, w.event);
    if (decision.kind === 'none') continue;
    const stack = stacks.get(w.tag) ?? [];
    if (decision.kind === 'update') stack[0] = w.event.dockerImageReference;
    else stack.unshift(w.event.dockerImageReference);
    stacks.set(w.tag, stack);
  }
  return [...stacks].flatMap(([tag, refs]) => refs.map((reference, index) => ({ tag, index, reference })));
}

/** What the import is about to write into a stream, for the allowed-registries check. */
export interface ImportWriteToCheck {
  /** The stored stream's uid; null when the import creates the stream. */
  uid: string | null;
  /** Canonical repositories the stored spec names (specRepositories, taken before the plan changed it). */
  oldSpec: ReadonlySet<string>;
  plan: StreamImportPlan;
  /** Tags the import itself writes: their aliases do not follow them (the writer skips them too). */
  imported: readonly string[];
}

/**
 * allowedRegistriesForImport on an import's stream write. Upstream rest.go creates or updates the
 * stream through the internal strategy, whose validation (ValidateImageStreamWithWhitelister,
 * with the old spec's and status's repositories exempt on an update) lists the refused spec
 * references and then every refused status item, the new ones (aliases that follow an imported
 * tag too) being the only ones not exempt. When a new item is refused this throws that 422 on the
 * ImageStream; otherwise the stream store's own check answers for the spec, with the same causes.
 * Costs nothing unless a new reference is refused on some transport.
 */
export async function refuseImportRegistries(
  q: Queryable,
  history: TagHistoryRepository,
  allow: RegistryAllowList,
  write: ImportWriteToCheck,
): Promise<void> {
  const { plan, uid } = write;
  const events: TagWrite[] = plan.writes.flatMap((w) =>
    w.kind === 'event' ? [{ tag: w.tag, event: w.event, top: w.top?.event }] : [],
  );
  if (events.every((w) => allowedEitherWay(allow, w.event.dockerImageReference))) return;
  const items = addedItems([...events, ...(uid ? await aliasWrites(q, history, uid, write) : [])]);
  const check: RegistryCheck = {
    allow,
    insecureRepository: isRepositoryInsecure(plan.next.metadata.annotations),
    exempt: write.oldSpec,
  };
  let refusals = addedStatusRefusals(check, plan.next, items);
  if (refusals.length && uid) {
    // The old status's repositories are exempt too: read only now, when something is refused.
    const status = (await history.statusOf(q, [uid])).get(uid) ?? [];
    check.exempt = new Set([...write.oldSpec, ...statusRepositories(status)]);
    refusals = addedStatusRefusals(check, plan.next, items);
  }
  if (refusals.length === 0) return;
  const name = plan.next.metadata.name!;
  throw ApiError.invalid(refOf(imageStreamsInfo), name, [...specRefusals(check, plan.next), ...refusals]);
}

/** The events aliases of moved tags get (one level, as the writer adds them), in write order. */
async function aliasWrites(
  q: Queryable,
  history: TagHistoryRepository,
  uid: string,
  write: ImportWriteToCheck,
): Promise<TagWrite[]> {
  const following = write.plan.moved.map(({ tag, event }) => ({
    event,
    aliases: aliasesOf(write.plan.next, tag).filter((a) => !write.imported.includes(a)),
  }));
  const all = [...new Set(following.flatMap((f) => f.aliases))];
  if (all.length === 0) return [];
  const tops = new Map(
    [...(await history.current(q, uid, all))].map(([tag, current]) => [tag, current.event]),
  );
  const out: TagWrite[] = [];
  for (const { event, aliases } of following) {
    for (const alias of aliases) {
      const top = tops.get(alias);
      out.push({ tag: alias, event, top });
      if (decideTagEvent(top, event).kind !== 'none') tops.set(alias, event);
    }
  }
  return out;
}
