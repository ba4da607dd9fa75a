import { jsonEqual } from '@app/api-machinery';
import { defaultTagReference } from '../imagestream/imagestream.defaults';
import type { ImageStream, TagEvent, TagEventCondition, TagImportPolicy, TagReference, TagReferencePolicy } from '../imagestream/imagestream.types';
import { exactReference, parseDockerImageReference } from '../reference/docker-reference';
import { decideTagEvent } from '../tag-history/add-tag-event';
import type { CurrentEvent } from '../tag-history/tag-history.repository';
import { hasSameCondition, importFailedCondition, observedGeneration } from './import-status';
import type { ImageImportStatus } from './imagestreamimport.types';

export const dockerRepositoryCheckAnnotation = 'openshift.io/image.dockerRepositoryCheck';

/** One tag an import writes into the stream: the result of its lookup and where it came from. */
export interface TagImport {
  tag: string;
  /** DockerImage pull spec recorded in the spec tag (`<repo>:<tag>` for repository imports). */
  from: string;
  importPolicy: TagImportPolicy;
  referencePolicy: TagReferencePolicy;
  result: ImageImportStatus;
  /**
   * The pull spec the entry's own lookup gave its image (`<its repository>@<digest>`): the tag
   * event records it even when the answer's Image is one another entry of the request created
   * from another repository (upstream importSuccessful takes it before its cached image creater).
   */
  imageReference?: string;
  /** A failed spec.images entry still gets its spec tag (upstream); a failed repository tag does not. */
  specTagOnFailure: boolean;
}

/** The status the import starts from, for the tags it names: newest history entry and conditions. */
export interface TagStatusState {
  tops: Map<string, CurrentEvent>;
  conditions: Map<string, TagEventCondition[]>;
}

/** Out-of-row status the import writes: a tag event (history dedupe applies), or a tag's conditions (empty = cleared). */
export type StatusWrite =
  | { kind: 'event'; tag: string; event: TagEvent; top: CurrentEvent | undefined }
  | { kind: 'conditions'; tag: string; conditions: TagEventCondition[] };

export interface StreamImportPlan {
  /** The stream to store (spec tags and annotation updated). */
  next: ImageStream;
  /** In order; an event's `top` is a pending one (id '') when an earlier write of this plan added it. */
  writes: StatusWrite[];
  /** Tags whose history moves, for the aliases that follow them. */
  moved: { tag: string; event: TagEvent }[];
}

/** `ref` with the image's digest and no tag (openshift mostAccuratePullSpec); unparsable refs stay as they are. */
function mostSpecific(ref: string, digest: string): string {
  try {
    return exactReference({ ...parseDockerImageReference(ref), id: digest, tag: '' });
  } catch {
    return ref;
  }
}

function ensureSpecTag(tags: Map<string, TagReference>, t: TagImport, reset: boolean): TagReference {
  const existing = tags.get(t.tag);
  if (existing && !reset) return existing;
  const tag: TagReference = existing ?? { name: t.tag, annotations: null, generation: 0, importPolicy: {}, referencePolicy: { type: '' } };
  tag.from = { kind: 'DockerImage', name: t.from };
  // `reference` is left as it is (upstream ensureSpecTag does not touch it): `oc tag --reference` stays so.
  tag.generation = 0;
  tag.importPolicy = { ...t.importPolicy };
  // Importing never changes a reference policy the tag already has.
  if (!existing?.referencePolicy?.type) tag.referencePolicy = { ...t.referencePolicy };
  defaultTagReference(tag);
  tags.set(t.tag, tag);
  return tag;
}

/**
 * What an ImageStreamImport writes into `current` (openshift rest.go importSuccessful /
 * setFailureCondition), decided without storage: a success adds a tag event (as a mapping) and
 * points the spec tag at the DockerImage source; a failure sets ImportSuccess=False. Events and
 * conditions carry the next stream generation; the spec tags touched get generation 0, which the
 * write turns into that same generation. `current` is changed in place and returned as `next`.
 */
export function planStreamImport(current: ImageStream, imports: TagImport[], state: TagStatusState, now: string): StreamImportPlan {
  const before = structuredClone(current.spec);
  const next = current;
  const nextGeneration = (next.metadata.generation ?? 0) + 1;
  const specTags = new Map((next.spec.tags ?? []).map((t) => [t.name, t]));
  const tops = new Map(state.tops);
  const conditions = new Map(state.conditions);
  const writes: StatusWrite[] = [];
  const moved: { tag: string; event: TagEvent }[] = [];

  for (const t of imports) {
    const image = t.result.status.status === 'Success' ? t.result.image : undefined;
    if (!image) {
      const condition = importFailedCondition(t.result.status, nextGeneration, now);
      const existing = conditions.get(t.tag);
      const spec = specTags.get(t.tag);
      // The same failure again changes nothing, unless a re-import was asked for since it was
      // recorded (upstream would keep the old generation and its controller would retry forever).
      const recorded = hasSameCondition(existing, condition) && observedGeneration(undefined, existing) >= (spec?.generation ?? 0);
      if (!recorded) {
        writes.push({ kind: 'conditions', tag: t.tag, conditions: [condition] });
        conditions.set(t.tag, [condition]);
        // Generation 0 becomes the next generation on write: condition and spec tag then agree,
        // so the import worker does not retry the same failure in a loop.
        if (spec) spec.generation = 0;
      }
      if (t.specTagOnFailure) ensureSpecTag(specTags, t, false);
      continue;
    }
    const event: TagEvent = {
      created: now,
      dockerImageReference: mostSpecific(t.imageReference ?? image.dockerImageReference, image.metadata.name!),
      image: image.metadata.name!,
      generation: nextGeneration,
    };
    const top = tops.get(t.tag);
    const spec = specTags.get(t.tag);
    const changed =
      !top ||
      top.event.dockerImageReference !== event.dockerImageReference ||
      top.event.image !== event.image ||
      !spec ||
      spec.generation === null ||
      spec.generation > top.event.generation;
    let specTag = spec;
    if (changed) {
      specTag = ensureSpecTag(specTags, t, true);
      if (decideTagEvent(top?.event, event).kind !== 'none') {
        writes.push({ kind: 'event', tag: t.tag, event, top });
        moved.push({ tag: t.tag, event });
        tops.set(t.tag, { id: '', event });
      }
    }
    specTag!.importPolicy = { ...t.importPolicy };
    if (conditions.get(t.tag)?.length) {
      writes.push({ kind: 'conditions', tag: t.tag, conditions: [] });
      conditions.delete(t.tag);
    }
  }

  // Absent and empty tags are the same spec (upstream compares with Semantic.DeepEqual): an
  // import that adds no tag must not count as a change, or it rewrites the check time.
  if (specTags.size > 0 || next.spec.tags) next.spec.tags = [...specTags.values()];
  const annotations = next.metadata.annotations ?? {};
  if (writes.length || !jsonEqual(before, next.spec) || !annotations[dockerRepositoryCheckAnnotation]) {
    next.metadata.annotations = { ...annotations, [dockerRepositoryCheckAnnotation]: now };
  }
  return { next, writes, moved };
}
