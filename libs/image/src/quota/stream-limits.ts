import {
  ApiError,
  compareQuantities,
  type FieldError,
  fieldErr,
  formatQuantity,
  parseQuantity,
  type Quantity,
  quantityOf,
  refOf,
} from '@app/api-machinery';
import type { Queryable } from '@app/persistence';
import type { ImageStream, NamedTagEventList, TagReference } from '../imagestream/imagestream.types';
import { exactReference, parseDockerImageReferenceOrNull } from '../reference/docker-reference';
import { imageStreamsInfo } from '../resources/resource-infos';
import { aggregate, limitExceeded, limitRangesOf } from './image-limits';
import type { QuotaNamespaces } from './quota-namespaces';
import {
  LIMIT_TYPE_IMAGE_STREAM,
  type LimitRange,
  RESOURCE_IMAGE_STREAM_IMAGES,
  RESOURCE_IMAGE_STREAM_TAGS,
} from './quota.types';

/** The smallest `max` of each image stream resource over the namespace's LimitRanges (getMaxLimits). */
export type StreamLimits = Partial<
  Record<typeof RESOURCE_IMAGE_STREAM_IMAGES | typeof RESOURCE_IMAGE_STREAM_TAGS, Quantity>
>;

export function streamLimitsOf(ranges: LimitRange[]): StreamLimits | null {
  const out: StreamLimits = {};
  for (const range of ranges) {
    for (const item of range.spec?.limits ?? []) {
      if (item.type !== LIMIT_TYPE_IMAGE_STREAM) continue;
      for (const r of [RESOURCE_IMAGE_STREAM_IMAGES, RESOURCE_IMAGE_STREAM_TAGS] as const) {
        const max = item.max?.[r];
        if (max === undefined) continue;
        const q = parseQuantity(max);
        if (!out[r] || compareQuantities(out[r], q) > 0) out[r] = q;
      }
    }
  }
  return Object.keys(out).length ? out : null;
}

/**
 * The reference a spec tag counts as (openshift-apiserver limitrange/usage.go
 * getImageReferenceForObjectReference): `ns/stream:tag` for an ImageStreamTag, the minimal pull
 * spec (docker.io and library/ dropped, `latest` by default) for a DockerImage, `ns/stream@id` for
 * an ImageStreamImage; null for what does not parse (upstream skips it).
 */
export function specReference(namespace: string, from: TagReference['from']): string | null {
  if (!from?.name) return null;
  switch (from.kind ?? '') {
    case 'ImageStreamTag': {
      const i = from.name.indexOf(':');
      if (i <= 0 || i === from.name.length - 1 || from.name.indexOf(':', i + 1) !== -1) return null;
      return `${from.namespace || namespace}/${from.name}`;
    }
    case 'ImageStreamImage':
    case 'DockerImage': {
      const ref = parseDockerImageReferenceOrNull(from.name);
      if (!ref) return null;
      if (from.kind === 'ImageStreamImage') {
        if (!ref.id) return null;
        ref.namespace ||= from.namespace || namespace;
      } else {
        // DockerClientDefaults, then DaemonMinimal.
        if (!ref.tag && !ref.id) ref.tag = 'latest';
        if (ref.registry === 'docker.io' || ref.registry === 'index.docker.io') ref.registry = '';
        if (!ref.registry && ref.namespace === 'library') ref.namespace = '';
      }
      return exactReference(ref);
    }
    default:
      return null;
  }
}

export function specReferences(stream: ImageStream | null): Set<string> {
  const out = new Set<string>();
  if (!stream) return out;
  for (const tag of stream.spec?.tags ?? []) {
    const ref = specReference(stream.metadata.namespace ?? '', tag.from);
    if (ref !== null) out.add(ref);
  }
  return out;
}

const grew = (before: Set<string>, after: Set<string>) =>
  after.size > before.size || [...after].some((r) => !before.has(r));

/**
 * VerifyLimits (limitrange/imagestream_limits.go): nothing to check unless the spec or status
 * reference sets grew or gained a member (pre-existing violations are tolerated); then every
 * limited count is compared. Returns upstream's messages, images first.
 */
export function streamLimitProblems(
  limits: StreamLimits,
  spec: { before: Set<string>; after: Set<string> },
  status: { before: Set<string> | number; after: Set<string> | number; added?: boolean },
): string[] {
  const statusGrew =
    typeof status.after === 'number' || typeof status.before === 'number'
      ? status.added === true
      : grew(status.before, status.after);
  if (!grew(spec.before, spec.after) && !statusGrew) return [];
  const usage = {
    [RESOURCE_IMAGE_STREAM_IMAGES]: typeof status.after === 'number' ? status.after : status.after.size,
    [RESOURCE_IMAGE_STREAM_TAGS]: spec.after.size,
  };
  const problems: string[] = [];
  for (const r of [RESOURCE_IMAGE_STREAM_IMAGES, RESOURCE_IMAGE_STREAM_TAGS] as const) {
    const limit = limits[r];
    const used = quantityOf(usage[r]);
    if (limit && compareQuantities(used, limit) > 0)
      problems.push(limitExceeded(LIMIT_TYPE_IMAGE_STREAM, r, formatQuantity(used), formatQuantity(limit)));
  }
  return problems;
}

/** `ImageStream.image.openshift.io "<name>" is forbidden: …`, the error upstream's verifier builds. */
function forbiddenText(name: string, problems: string[]): string {
  return `ImageStream.image.openshift.io ${JSON.stringify(name)} is forbidden: ${aggregate(problems)}`;
}

/**
 * openshift.io/ImageStream LimitRanges on image stream writes. Upstream runs the verifier inside
 * the stream strategies' validation, so a refusal is a 422 Invalid naming the stream: an
 * InternalError cause at `[]` on spec writes (apimachinery prints the empty path so), a Forbidden cause at `imageStream` on status writes (an
 * ImageStreamMapping's new image).
 */
export class StreamLimitsVerifier {
  constructor(private readonly namespaces: QuotaNamespaces) {}

  /** The namespace's image stream limits, or null (no query without LimitRanges). */
  async limitsOf(q: Queryable, namespace: string): Promise<StreamLimits | null> {
    return streamLimitsOf(await limitRangesOf(q, this.namespaces, namespace));
  }

  /** Distinct images in the stream's history, and whether `image` is one of them. */
  async statusImages(q: Queryable, uid: string, image = ''): Promise<{ count: number; present: boolean }> {
    const [row] = await q.query<{ n: number; present: boolean | null }>(
      `SELECT count(DISTINCT image)::int AS n, bool_or(image = $2) AS present FROM image_stream_tag_events WHERE stream_uid = $1`,
      [uid, image],
    );
    return { count: row?.n ?? 0, present: row?.present === true };
  }

  /** How many distinct images the stream's history holds, and which of `images` are among them. */
  private async imagesAmong(q: Queryable, uid: string | null, images: string[]): Promise<{ count: number; present: string[] }> {
    if (!uid) return { count: 0, present: [] };
    const [row] = await q.query<{ n: number; present: string[] | null }>(
      `SELECT count(DISTINCT image)::int AS n, array_agg(DISTINCT image) FILTER (WHERE image = ANY($2::text[])) AS present
         FROM image_stream_tag_events WHERE stream_uid = $1`,
      [uid, images],
    );
    return { count: row?.n ?? 0, present: row?.present ?? [] };
  }

  /**
   * A create or spec write of a stream (inside its transaction). `copiedImages` answers the
   * images its new or changed tags copy from other tags (ImageStreamTag/ImageStreamImage
   * sources), or null when a source does not resolve: upstream's strategy resolves them into the
   * status (tagsChanged) before its verifier counts the status, and answers a source that does not
   * resolve instead of checking limits.
   */
  async admitSpecWrite(tx: Queryable, obj: ImageStream, old: ImageStream | null, copiedImages?: () => Promise<string[] | null>): Promise<void> {
    const namespace = obj.metadata.namespace!;
    const limits = await this.limitsOf(tx, namespace);
    if (!limits) return;
    const copied = copiedImages ? await copiedImages() : [];
    if (copied === null) return;
    const spec = { before: specReferences(old), after: specReferences(obj) };
    const wanted = [...new Set(copied)];
    const { count, present } = await this.imagesAmong(tx, old?.metadata.uid ?? null, wanted);
    const added = wanted.filter((i) => !present.includes(i)).length;
    if (!grew(spec.before, spec.after) && added === 0) return;
    const problems = streamLimitProblems(limits, spec, { before: count, after: count + added, added: added > 0 });
    if (problems.length) {
      throw ApiError.invalid(refOf(imageStreamsInfo), obj.metadata.name!, [
        { type: 'InternalError', field: '[]', detail: forbiddenText(obj.metadata.name!, problems) },
      ]);
    }
  }

  /**
   * An import writing `images` into a stream's history and `next` as its spec (inside its
   * transaction; `uid` null for a stream the import creates). Upstream's stream strategy verifies
   * the import's update, so a refusal is the spec path's 422 (InternalError cause).
   */
  async admitImport(tx: Queryable, uid: string | null, old: ImageStream | null, next: ImageStream, limits: StreamLimits, images: string[]): Promise<void> {
    const wanted = [...new Set(images)];
    const { count: before, present } = await this.imagesAmong(tx, uid, wanted);
    const added = wanted.filter((i) => !present.includes(i)).length;
    const spec = { before: specReferences(old), after: specReferences(next) };
    const problems = streamLimitProblems(limits, spec, { before, after: before + added, added: added > 0 });
    if (problems.length) {
      const name = next.metadata.name!;
      throw ApiError.invalid(refOf(imageStreamsInfo), name, [{ type: 'InternalError', field: '[]', detail: forbiddenText(name, problems) }]);
    }
  }

  /**
   * A `/status` write replacing the stream's history `before` with `after` (the status strategy's
   * ValidateUpdate upstream): the Forbidden cause at `imageStream` when it adds an image over a
   * limit, else null. The spec is the stored one, so only the images can grow.
   */
  async statusWriteProblem(q: Queryable, stream: ImageStream, before: NamedTagEventList[], after: NamedTagEventList[]): Promise<FieldError | null> {
    const limits = await this.limitsOf(q, stream.metadata.namespace!);
    if (!limits) return null;
    const images = (tags: NamedTagEventList[]) => new Set(tags.flatMap((t) => (t.items ?? []).map((i) => i.image)));
    const specRefs = specReferences(stream);
    const problems = streamLimitProblems(limits, { before: specRefs, after: specRefs }, { before: images(before), after: images(after) });
    return problems.length ? fieldErr.forbidden('imageStream', forbiddenText(stream.metadata.name!, problems)) : null;
  }

  /** A mapping adding `image` to the locked stream's history (inside its transaction). */
  async admitNewImage(
    tx: Queryable,
    stream: ImageStream,
    limits: StreamLimits,
    image: string,
  ): Promise<void> {
    const { count, present } = await this.statusImages(tx, stream.metadata.uid!, image);
    if (present) return;
    const specRefs = specReferences(stream);
    const problems = streamLimitProblems(
      limits,
      { before: specRefs, after: specRefs },
      { before: count, after: count + 1, added: true },
    );
    if (problems.length) {
      throw ApiError.invalid(refOf(imageStreamsInfo), stream.metadata.name!, [
        fieldErr.forbidden('imageStream', forbiddenText(stream.metadata.name!, problems)),
      ]);
    }
  }
}
