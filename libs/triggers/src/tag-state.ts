import { aliasesOf, dockerImageRepositoryOf, type ImageStream, resolveReferenceForTagEvent } from '@app/image';
import type { Queryable } from '@app/persistence';
import type { CausationLink } from './cloudevent';
import { eventBaseJoin, eventSql } from './event-bases';
import type { TagState } from './firing';
import { OciBaseImageAnnotations } from '@app/registry';
import { CAUSATION_LABEL } from './trigger.types';

/**
 * An image's build time for the older-image rule, as SQL over the images row `alias`: its
 * metadata's Created, except for a manifest list or index, whose Created is when it was recorded
 * (a list has no config to say when it was built), which would make every build made before that
 * moment look older than the list.
 */
const BUILD_TIME_SQL = (alias: string) =>
  `CASE WHEN jsonb_typeof(${alias}.body->'dockerImageManifests') = 'array' AND ${alias}.body->'dockerImageManifests' <> '[]'::jsonb THEN NULL
        ELSE ${alias}.body->'dockerImageMetadata'->>'Created' END`;

export interface TagKey {
  namespace: string;
  stream: string;
  tag: string;
}

export const tagKeyString = (k: TagKey) => `${k.namespace}/${k.stream}:${k.tag}`;

/** The tag's current state plus what the firing rules and the event need about its image. */
export interface ResolvedTag extends TagState {
  /** The tag event's own dockerImageReference (before referencePolicy). */
  reference: string;
  previousImage: string | null;
  /** From the tag's own history entry of the previous image, referencePolicy applied. */
  previousPullSpec: string | null;
  causation: CausationLink[];
  /** Spec tags of the same stream that follow this tag (`oc tag --alias`): a push to it moves them too. */
  aliases: string[];
  /** False only for a hypothetical push that would create the stream (as a registry's first push does). */
  streamFound: boolean;
}

/** A push that has not happened (preview): the image, the new tag event's reference, and why the tag moves. */
export interface HypotheticalMove {
  image: string;
  /** Default: the tag's current repository with the new digest. */
  reference?: string;
  cause: string;
}

interface ImageMeta {
  created: string | null;
  labels: Record<string, string> | null;
  annotations: Record<string, string> | null;
}

interface TagRow {
  stream_found: boolean;
  spec_repository: string | null;
  spec_tags: { name: string; from?: { kind?: string; name?: string; namespace?: string }; referencePolicy?: { type?: string } }[] | null;
  image: string | null;
  ref: string | null;
  below_image: string | null;
  below_ref: string | null;
  change_id: string | null;
  cause: string | null;
  previous_image: string | null;
  change_image: string | null;
  previous_change_ref: string | null;
  first_id: string | null;
  first_history_id: string | null;
  feed_complete: boolean | null;
  meta: ImageMeta | null;
}

/**
 * SQL for the tag_changes id of the tag's last loss of its image in this incarnation of the
 * stream (0 when it never lost it). A tag deleted and given an image again starts a new
 * incarnation, as a stream deleted and created again does: the order in which images appeared
 * before the deletion no longer ranks them (their build times still do). Index tag_changes_by_image.
 */
function lastRemovalSql(namespace: string, stream: string, tag: string, streamUid: string): string {
  return `coalesce((SELECT max(r.id) FROM tag_changes r
                     WHERE r.namespace = ${namespace} AND r.stream = ${stream} AND r.tag = ${tag} AND r.image IS NULL
                       AND r.stream_uid = ${streamUid}), 0)`;
}

/** What the older-image rule needs to know of the image a dependent last got (see firing.ts). */
export interface LastImageFacts {
  firstSeenChangeId: string | null;
  firstSeenHistoryId: string | null;
  created: string | null;
}

const noFacts: LastImageFacts = { firstSeenChangeId: null, firstSeenHistoryId: null, created: null };

/** The facts of `image` (none when it is null or unknown). */
export function factsOf(facts: Map<string, LastImageFacts>, image: string | null | undefined): LastImageFacts {
  return (image && facts.get(image)) || noFacts;
}

/**
 * The facts of the image a dependent last got, for the older-image rule. That rule guards what the
 * followed tag handed out: an image the dependent got from another tag (before its `from` changed)
 * is not ranked by creation time, as OpenShift keeps a BuildConfig's last image per `from` and
 * replaces an annotated container's image that differs (the workload path does the same).
 */
export function dependentFacts(facts: Map<string, LastImageFacts>, image: string | null | undefined, firedElsewhere: boolean): LastImageFacts {
  const f = factsOf(facts, image);
  return firedElsewhere ? { ...f, created: null } : f;
}

/** Reads tag states for the firing rules: the same reads serve real evaluation and preview. */
export class TagStateReader {
  constructor(private readonly options: { internalRegistryHostname: string; registryPullHost?: string }) {}

  /**
   * Current state of a tag, or (preview) the state a hypothetical move would leave it in. The
   * tag's two newest history entries, its newest tag_changes row and the first sight of the image
   * are read in one statement, so they come from one snapshot (separate reads could straddle a
   * concurrent move).
   */
  async resolve(q: Queryable, key: TagKey, hypothetical?: HypotheticalMove): Promise<ResolvedTag | null> {
    const [row] = await q.query<TagRow>(
      `SELECT s.uid IS NOT NULL AS stream_found, s.body->'spec'->>'dockerImageRepository' AS spec_repository,
              s.body->'spec'->'tags' AS spec_tags, e.image, e.docker_image_reference AS ref,
              p.image AS below_image, p.docker_image_reference AS below_ref,
              c.id::text AS change_id, c.cause, c.previous_image, c.image AS change_image,
              -- When the previous image's history entry is gone (updated in place, removed), the
              -- feed row of the move that put it on this tag still has that entry's reference.
              (SELECT pc.docker_image_reference FROM tag_changes pc
                WHERE pc.namespace = $1 AND pc.stream = $2 AND pc.tag = $3 AND pc.stream_uid = s.uid AND pc.image = c.previous_image AND pc.id < c.id
                ORDER BY pc.id DESC LIMIT 1) AS previous_change_ref,
              (SELECT min(f.id)::text FROM tag_changes f
                WHERE f.namespace = $1 AND f.stream = $2 AND f.tag = $3 AND f.stream_uid = s.uid AND f.image = coalesce($4::text, e.image)
                  AND f.id > ${lastRemovalSql('$1', '$2', '$3', 's.uid')}) AS first_id,
              (SELECT min(h.id)::text FROM image_stream_tag_events h
                WHERE h.stream_uid = s.uid AND h.tag = $3 AND h.image = coalesce($4::text, e.image)) AS first_history_id,
              -- Retention drops the oldest moves first: the feed holds every move since the tag last
              -- got an image from none when its oldest row is such a move or a loss of the image.
              (SELECT o.previous_image IS NULL OR o.image IS NULL FROM tag_changes o
                WHERE o.namespace = $1 AND o.stream = $2 AND o.tag = $3 AND o.stream_uid = s.uid ORDER BY o.id LIMIT 1) AS feed_complete,
              (SELECT jsonb_build_object('created', ${BUILD_TIME_SQL('i')},
                        'labels', i.body->'dockerImageMetadata'->'Config'->'Labels', 'annotations', i.body->'metadata'->'annotations')
                 FROM images i WHERE i.name = coalesce($4::text, e.image)) AS meta
         -- One row even without the stream: a preview of a registry's first push creates it.
         FROM (SELECT 1) one
         LEFT JOIN image_streams s ON s.namespace = $1 AND s.name = $2
         LEFT JOIN LATERAL (SELECT ev.image, ev.docker_image_reference FROM image_stream_tag_events ev
                             WHERE ev.stream_uid = s.uid AND ev.tag = $3 ORDER BY ev.id DESC LIMIT 1) e ON true
         LEFT JOIN LATERAL (SELECT ev.image, ev.docker_image_reference FROM image_stream_tag_events ev
                             WHERE ev.stream_uid = s.uid AND ev.tag = $3 ORDER BY ev.id DESC LIMIT 1 OFFSET 1) p ON true
         LEFT JOIN LATERAL (SELECT tc.id, tc.cause, tc.previous_image, tc.image FROM tag_changes tc
                             WHERE tc.namespace = $1 AND tc.stream = $2 AND tc.tag = $3 AND tc.stream_uid = s.uid ORDER BY tc.id DESC LIMIT 1) c ON true`,
      [key.namespace, key.stream, key.tag, hypothetical?.image ?? null],
      'trg-resolve-tag',
    );
    if (!row || (!row.stream_found && !hypothetical)) return null;
    const stream = {
      metadata: { namespace: key.namespace, name: key.stream },
      spec: { tags: row.spec_tags ?? [], ...(row.spec_repository ? { dockerImageRepository: row.spec_repository } : {}) },
    } as unknown as ImageStream;
    const repository = dockerImageRepositoryOf(stream, { internalRegistryHostname: this.options.internalRegistryHostname, publicRegistryHostname: '' });
    // The pull spec handed out for an entry, as the image API resolves it (referencePolicy Local → the stream's repository).
    const pullSpecOf = (image: string, reference: string) =>
      resolveReferenceForTagEvent(stream, key.tag, { image, dockerImageReference: reference, created: '', generation: 0 }, repository);
    const causation = await this.causationOf(q, row.meta, key.namespace);
    const aliases = aliasesOf(stream, key.tag);
    const common = { firstSeenChangeId: row.first_id, firstSeenHistoryId: row.first_history_id, feedComplete: row.feed_complete === true, created: row.meta?.created ?? null, causation, aliases, streamFound: row.stream_found };
    if (hypothetical) {
      // As a mapping does it: the new entry's reference, the current entry becomes the previous one.
      // A tag with no entry yet gets what a registry push records: the stream's repository, else
      // the registry's host (REGISTRY_URL's when no INTERNAL_REGISTRY_HOSTNAME) with <ns>/<stream>.
      const pushRepository = repository || (this.options.registryPullHost ? `${this.options.registryPullHost}/${key.namespace}/${key.stream}` : '');
      const reference =
        hypothetical.reference ??
        (row.ref ? `${row.ref.replace(/@sha256:[0-9a-f]+$/, '')}@${hypothetical.image}` : pushRepository ? `${pushRepository}@${hypothetical.image}` : hypothetical.image);
      return {
        ...common,
        image: hypothetical.image,
        reference,
        pullSpec: pullSpecOf(hypothetical.image, reference),
        changeId: null,
        cause: hypothetical.cause,
        previousImage: row.image,
        previousPullSpec: row.image && row.ref ? pullSpecOf(row.image, row.ref) : null,
      };
    }
    if (!row.image || !row.ref) return null;
    // The newest feed row describes the current image only when it moved the tag to it. The tag's
    // previous image is that move's (its history entry may have been updated in place), unless the
    // move re-pointed the tag at the image it held or the feed no longer has it (retention): then
    // the history's entry below the current one, which is kept until a user prunes it.
    const moved = row.change_image === row.image;
    const fromMove = moved && row.previous_image && row.previous_image !== row.image ? row.previous_image : null;
    const belowInHistory = row.below_image && row.below_image !== row.image ? row.below_image : null;
    const previousImage = fromMove ?? belowInHistory;
    const previousRef = !previousImage ? null : row.below_image === previousImage ? row.below_ref : row.previous_change_ref;
    return {
      ...common,
      image: row.image,
      reference: row.ref,
      pullSpec: pullSpecOf(row.image, row.ref),
      changeId: moved ? row.change_id : null,
      cause: moved ? (row.cause ?? 'unknown') : 'unknown',
      previousImage,
      previousPullSpec: previousImage && previousRef ? pullSpecOf(previousImage, previousRef) : null,
    };
  }

  /**
   * A tag whose current entry carries no image (a `reference: true` DockerImage tag records only
   * its pull spec): what the trigger controller resolves it to, the entry's dockerImageReference
   * (reference §8.2 step 3 with §5.12: without an image, Local cannot point elsewhere). Null when
   * the tag has no entry or its entry has an image.
   */
  async imagelessReference(q: Queryable, key: TagKey): Promise<ResolvedTag | null> {
    const [row] = await q.query<{ ref: string }>(
      `SELECT ev.docker_image_reference AS ref FROM image_streams s
         JOIN LATERAL (SELECT e.image, e.docker_image_reference FROM image_stream_tag_events e
                        WHERE e.stream_uid = s.uid AND e.tag = $3 ORDER BY e.id DESC LIMIT 1) ev ON true
        WHERE s.namespace = $1 AND s.name = $2 AND ev.image = '' AND ev.docker_image_reference <> ''`,
      [key.namespace, key.stream, key.tag],
      'trg-imageless-reference',
    );
    if (!row) return null;
    return {
      image: '',
      reference: row.ref,
      pullSpec: row.ref,
      changeId: null,
      cause: 'reference',
      previousImage: null,
      previousPullSpec: null,
      causation: [],
      aliases: [],
      streamFound: true,
    };
  }

  /**
   * Chains: an image built because of a delivery names it (causation label echoed by the build)
   * or names its base image (OCI base.digest annotation/label); the new event extends that
   * delivery's chain. A base digest is matched only to deliveries of the namespace the image is
   * pushed to: another tenant building on the same public base image must not receive this
   * namespace's trigger names and delivery ids (nor spend its depth budget). Of that image's
   * deliveries, one its receiver acknowledged is the cause before any other (a dead letter,
   * such as a disabled endpoint's fire that was never sent, most likely started nothing); then
   * one to a Build target (what builds images), then a Webhook's (a build system's, as likely as
   * not), before a Deployment's (which builds nothing); then the newest.
   * The echoed label names one delivery outright, so it links across namespaces.
   */
  private async causationOf(q: Queryable, meta: ImageMeta | null, namespace: string): Promise<CausationLink[]> {
    if (!meta) return [];
    const causedBy = meta.labels?.[CAUSATION_LABEL] ?? meta.annotations?.[CAUSATION_LABEL];
    const base = meta.labels?.[OciBaseImageAnnotations.digest] ?? meta.annotations?.[OciBaseImageAnnotations.digest];
    if (!causedBy && !base) return [];
    const [row] = await q.query<{ id: string; namespace: string; owner_kind: string; owner_name: string; image: string; chain: CausationLink[] | null }>(
      causedBy
        ? `SELECT d.id, d.namespace, d.owner_kind, d.owner_name, d.image, (${eventSql('d', 'eb')})->'data'->'causation' AS chain
             FROM trigger_deliveries d ${eventBaseJoin('d', 'eb')} WHERE d.id = $1`
        : `SELECT d.id, d.namespace, d.owner_kind, d.owner_name, d.image, (${eventSql('d', 'eb')})->'data'->'causation' AS chain
             FROM trigger_deliveries d ${eventBaseJoin('d', 'eb')}
            WHERE d.image = $1 AND d.namespace = $2 AND d.owner_kind = 'Trigger'
            ORDER BY d.state = 'delivered' DESC,
                     CASE (${eventSql('d', 'eb')})->'data'->'target'->>'kind' WHEN 'Build' THEN 0 WHEN 'Webhook' THEN 1 ELSE 2 END,
                     d.seq DESC LIMIT 1`,
      causedBy ? [causedBy] : [base, namespace],
    );
    if (!row) return [];
    const link: CausationLink = { deliveryId: row.id, trigger: row.owner_name, namespace: row.namespace, image: row.image };
    if (row.owner_kind !== 'Trigger') link.kind = row.owner_kind;
    return [...(row.chain ?? []), link];
  }

  /**
   * Per-dependent data the rules need about its last image: first sight on the tag and creation
   * time. Only this incarnation of the stream counts: a stream deleted and created again starts
   * a new history (its feed rows outlive it).
   */
  async lastImageFacts(q: Queryable, key: TagKey, images: string[]): Promise<Map<string, LastImageFacts>> {
    const facts = new Map<string, LastImageFacts>();
    if (!images.length) return facts;
    // One round trip: it runs inside the evaluation transaction, which holds the dependents' row locks.
    const rows = await q.query<{ k: 'first' | 'history' | 'created'; name: string; v: string | null }>(
      `WITH incarnation AS (SELECT uid FROM image_streams WHERE namespace = $1 AND name = $2)
       SELECT 'first' AS k, image AS name, min(id)::text AS v FROM tag_changes
        WHERE namespace = $1 AND stream = $2 AND tag = $3 AND image = ANY($4::text[])
          AND stream_uid = (SELECT uid FROM incarnation)
          AND id > ${lastRemovalSql('$1', '$2', '$3', '(SELECT uid FROM incarnation)')} GROUP BY image
       UNION ALL
       SELECT 'history', h.image, min(h.id)::text FROM image_stream_tag_events h JOIN image_streams s ON s.uid = h.stream_uid
        WHERE s.namespace = $1 AND s.name = $2 AND h.tag = $3 AND h.image = ANY($4::text[]) GROUP BY h.image
       UNION ALL
       SELECT 'created', i.name, ${BUILD_TIME_SQL('i')} FROM images i WHERE i.name = ANY($4::text[])`,
      [key.namespace, key.stream, key.tag, images],
      'trg-last-image-facts',
    );
    for (const r of rows) {
      if (r.v === null) continue;
      const f = facts.get(r.name) ?? { firstSeenChangeId: null, firstSeenHistoryId: null, created: null };
      if (r.k === 'first') f.firstSeenChangeId = r.v;
      else if (r.k === 'history') f.firstSeenHistoryId = r.v;
      else f.created = r.v;
      facts.set(r.name, f);
    }
    return facts;
  }

  /**
   * Of the feed ids of the moves that dependents last fired for, those of another tag than `key`:
   * the dependent's `from` changed since (a pruned id is not found, and counts as this tag's).
   */
  async movesOfOtherTags(q: Queryable, key: TagKey, changeIds: string[]): Promise<Set<string>> {
    if (!changeIds.length) return new Set();
    const rows = await q.query<{ id: string }>(
      `SELECT id::text AS id FROM tag_changes
        WHERE id = ANY($4::bigint[]) AND NOT (namespace = $1 AND stream = $2 AND tag = $3)`,
      [key.namespace, key.stream, key.tag, changeIds],
      'trg-moves-of-other-tags',
    );
    return new Set(rows.map((r) => r.id));
  }
}
