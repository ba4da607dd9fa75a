import { ApiError, fieldErr, type FieldError } from '@app/api-machinery';
import { parseDockerImageReferenceOrNull } from '@app/image';
import type { Queryable } from '@app/persistence';
import { type LocalImageNames, RESOLVE_NAMES_ANNOTATION } from '../image-lookup';
import type { Workload } from '../trigger.types';
import type { AdmissionRequest, AdmissionResponse } from './admission-review';
import { executionRuleCovers, immutablePodTemplate, podSpecLocation } from './pod-spec-locations';
import { valueAt } from '../value-at';

/** Image annotation of OpenShift's default execution rule: `"true"` forbids running the image. */
export const DENY_EXECUTION_ANNOTATION = 'images.openshift.io/deny-execution';
/** Namespace annotation listing execution rules (comma-separated names) not to apply there. */
export const IGNORE_RULES_ANNOTATION = 'alpha.image.policy.openshift.io/ignore-rules';
/** Name of the default execution rule, as a namespace's ignore-rules names it. */
const EXECUTION_DENIED_RULE = 'execution-denied';
const PROHIBITED = 'this image is prohibited by policy';
/** The webhook's warning (kubectl prints it) when the image store could not be read. */
export const UNRESOLVED_WARNING = 'image policy: image references were not resolved or checked: the image store is unavailable';

// Init containers first, as upstream visits (and reports) them.
const containerLists = ['initContainers', 'containers'] as const;
type Container = { name?: unknown; image?: unknown };

/**
 * The containers of a list, by index; an entry that is not an object (`null`, as Go would decode
 * into an empty Container) counts as one without an image, so it is skipped and indices still match.
 */
function containersOf(podSpec: unknown, list: (typeof containerLists)[number]): Container[] {
  const containers = valueAt(podSpec, [list]);
  if (!Array.isArray(containers)) return [];
  return containers.map((c: unknown) => (c && typeof c === 'object' && !Array.isArray(c) ? (c as Container) : {}));
}

/** The object as a Workload, with a metadata object even when the review's object had none. */
function withMetadata(object: Record<string, unknown>): Workload {
  const metadata = object['metadata'];
  return { ...object, metadata: metadata && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata : {} };
}

/**
 * Whether the object or its pod template asks for resolution of all names (resolve-names `"*"`).
 * As upstream, an update checks unchanged images again only when this answer changes.
 */
function resolvesAllNames(object: unknown, podSpecPath: string[]): boolean {
  const template = [...podSpecPath.slice(0, -1), 'metadata', 'annotations', RESOLVE_NAMES_ANNOTATION];
  return valueAt(object, ['metadata', 'annotations', RESOLVE_NAMES_ANNOTATION]) === '*' || valueAt(object, template) === '*';
}

/** The image of the first container named `name` in `podSpec`, init containers first (upstream hasIdenticalPodSpecImage). */
function oldImageOf(podSpec: unknown, name: unknown): unknown {
  for (const list of containerLists) {
    const found = containersOf(podSpec, list).find((c) => c.name === name);
    if (found) return found.image;
  }
  return undefined;
}

function controlledByOwner(object: Record<string, unknown>): boolean {
  const refs = valueAt(object, ['metadata', 'ownerReferences']);
  return Array.isArray(refs) && refs.some((ref) => !!ref && typeof ref === 'object' && (ref as { controller?: unknown }).controller === true);
}

/**
 * OpenShift's image policy admission (`image.openshift.io/ImagePolicy`) with its default
 * configuration, answered as an admission webhook: on create and update of an object with a pod
 * spec, local image names resolve as stored workloads resolve them (LocalImageNames; the
 * rewrite is returned as a JSON patch), and a pod whose image (by digest, a tag of the internal
 * registry, or a resolved local name) is an Image annotated `images.openshift.io/deny-execution:
 * "true"` is refused with 422 Invalid, `spec.containers[i].image: Forbidden: this image is
 * prohibited by policy`, unless the namespace's ignore-rules annotation names `execution-denied`.
 * Images that do not resolve are let through (the rule's skipOnResolutionFailure).
 */
export class ImagePolicyAdmission {
  constructor(
    private readonly db: Queryable,
    private readonly localNames: LocalImageNames,
    private readonly internalRegistryHostname: string,
  ) {}

  async review(request: AdmissionRequest): Promise<Omit<AdmissionResponse, 'uid'>> {
    const { operation, subResource, object } = request;
    const { group, resource } = request.resource;
    // As upstream: only create and update of the object itself; subresources (status, exec...) pass.
    if ((operation !== 'CREATE' && operation !== 'UPDATE') || subResource !== '' || object === null) return { allowed: true };
    const location = podSpecLocation(group, resource);
    if (location === null || controlledByOwner(object)) return { allowed: true };
    const admitted = withMetadata(structuredClone(object));
    // The object's namespace may be unset on create; the request's is the one that counts.
    admitted.metadata.namespace = request.namespace;
    const old = operation === 'UPDATE' && request.oldObject !== null ? withMetadata(request.oldObject) : null;
    try {
      return await this.admit(request, object, admitted, old, location);
    } catch (e) {
      // Upstream's default policy only attempts resolution (resolveImages: Attempt) and its rules
      // skip what did not resolve: a lookup that fails lets the object through unchanged, rather
      // than failing every pod of the cluster (the webhook's failurePolicy) while Postgres is away.
      if (e instanceof ApiError && e.code === 503) return { allowed: true, warnings: [UNRESOLVED_WARNING] };
      throw e;
    }
  }

  private async admit(
    request: AdmissionRequest,
    object: Record<string, unknown>,
    admitted: Workload,
    old: Workload | null,
    location: string,
  ): Promise<Omit<AdmissionResponse, 'uid'>> {
    const { operation } = request;
    const { group, resource } = request.resource;
    const path = location.split('.');
    if (!(operation === 'UPDATE' && immutablePodTemplate(group, resource))) {
      await this.localNames.resolve(this.db, admitted, old, location);
    }
    if (executionRuleCovers(group, resource)) {
      const forceAll = resolvesAllNames(admitted, path);
      const recheckAll = old !== null && forceAll !== resolvesAllNames(old, path);
      const checked = { sent: valueAt(object, path), admitted: valueAt(admitted, path), old: old && valueAt(old, path) };
      const forbidden = await this.deniedImages(checked, location, request.namespace, forceAll, recheckAll);
      if (forbidden.length > 0) {
        const error = ApiError.invalid({ group: request.kind.group, resource, kind: request.kind.kind }, request.name, forbidden);
        return { allowed: false, status: error.toStatus() };
      }
    }
    const patch = imagePatch(valueAt(object, path), valueAt(admitted, path), path);
    if (patch.length === 0) return { allowed: true };
    return { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
  }

  /**
   * The images of `images` a pod in `namespace` may not run (kube-apiserver's ImagePolicyWebhook
   * asks this of the pod's images as they will run), each resolved as on a pod admitted here; an
   * empty list when the namespace ignores the rule.
   */
  async prohibitedImages(namespace: string, images: string[]): Promise<string[]> {
    const prohibited: string[] = [];
    for (const image of images) if (await this.executionDenied(image, namespace, false)) prohibited.push(image);
    if (prohibited.length > 0 && (await this.namespaceIgnoresRule(namespace))) return [];
    return prohibited;
  }

  /**
   * Field errors for the containers whose image the execution rule refuses, judged on the images
   * as sent (upstream resolves and checks each reference before it rewrites it). As upstream: on
   * update a container whose old namesake (the first of that name, init containers first) ran the
   * same image is not checked, unless the resolve-names annotation was turned on or off; and a
   * reference already decided in this review (as sent, or as another container's was rewritten)
   * is not reported again.
   */
  private async deniedImages(
    specs: { sent: unknown; admitted: unknown; old: unknown },
    location: string,
    namespace: string,
    force: boolean,
    recheckAll: boolean,
  ): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    const decided = new Set<string>();
    for (const list of containerLists) {
      const admitted = containersOf(specs.admitted, list);
      for (const [i, container] of containersOf(specs.sent, list).entries()) {
        if (typeof container.image !== 'string') continue;
        if (specs.old && !recheckAll && oldImageOf(specs.old, container.name) === container.image) continue;
        if (decided.has(container.image)) continue;
        const after = admitted[i]?.image;
        decided.add(typeof after === 'string' ? after : container.image);
        if (await this.executionDenied(container.image, namespace, force)) errors.push(fieldErr.forbidden(`${location}.${list}[${i}].image`, PROHIBITED));
      }
    }
    if (errors.length > 0 && (await this.namespaceIgnoresRule(namespace))) return [];
    return errors;
  }

  /**
   * Whether the default execution rule refuses `image`: the annotations of the Image it resolves
   * to, as upstream's resolver finds it, say deny-execution "true". A digest names its Image; a
   * tag of the internal registry, a single-segment name of a stream with lookupPolicy.local, or
   * (forced by resolve-names) any name's last segment in the namespace is read as an
   * ImageStreamTag, whose Image carries the spec tag's annotations over its own (as the
   * ImageStreamTag view shows them). Anything that does not resolve passes (skipOnResolutionFailure).
   */
  private async executionDenied(image: string, namespace: string, force: boolean): Promise<boolean> {
    const ref = parseDockerImageReferenceOrNull(image);
    if (!ref) return false;
    if (ref.id) {
      const [row] = await this.db.query<{ deny: string | null }>(
        `SELECT body->'metadata'->'annotations'->>$2 AS deny FROM images WHERE name = $1`,
        [ref.id, DENY_EXECUTION_ANNOTATION],
        'admission-image-deny',
      );
      return row?.deny === 'true';
    }
    const internal = this.internalRegistryHostname !== '' && ref.registry === this.internalRegistryHostname;
    const partial = force || (!ref.registry && !ref.namespace && ref.name !== '');
    if (!internal && !partial) return false;
    const tag = ref.tag || 'latest';
    const [row] = await this.db.query<{ local: boolean | null; image_deny: string | null; tag_deny: string | null; has_image: boolean; tag_has_key: boolean | null }>(
      `SELECT (s.body->'spec'->'lookupPolicy'->>'local')::boolean AS local,
              i.body->'metadata'->'annotations'->>$4 AS image_deny, i.name IS NOT NULL AS has_image,
              t.spec->'annotations'->>$4 AS tag_deny, COALESCE(jsonb_typeof(t.spec->'annotations') = 'object' AND (t.spec->'annotations') ? $4, false) AS tag_has_key
         FROM image_streams s
         LEFT JOIN LATERAL (SELECT ev.image FROM image_stream_tag_events ev
                             WHERE ev.stream_uid = s.uid AND ev.tag = $3 ORDER BY ev.id DESC LIMIT 1) e ON true
         LEFT JOIN images i ON i.name = e.image
         LEFT JOIN LATERAL (SELECT st AS spec FROM jsonb_array_elements(CASE WHEN jsonb_typeof(s.body->'spec'->'tags') = 'array' THEN s.body->'spec'->'tags' ELSE '[]'::jsonb END) st
                             WHERE st->>'name' = $3 LIMIT 1) t ON true
        WHERE s.namespace = $1 AND s.name = $2`,
      [ref.namespace && !partial ? ref.namespace : namespace, ref.name, tag, DENY_EXECUTION_ANNOTATION],
      'admission-istag-deny',
    );
    // No ImageStreamTag (no stream, no image, the Image gone), or a local name the stream does not allow.
    if (!row?.has_image) return false;
    if (partial && !force && row.local !== true) return false;
    return (row.tag_has_key ? row.tag_deny : row.image_deny) === 'true';
  }

  private async namespaceIgnoresRule(namespace: string): Promise<boolean> {
    const [row] = await this.db.query<{ rules: string | null }>(
      `SELECT body->'metadata'->'annotations'->>$2 AS rules FROM namespaces WHERE name = $1`,
      [namespace, IGNORE_RULES_ANNOTATION],
      'admission-namespace-ignore-rules',
    );
    // Split on commas only, as upstream: `a, execution-denied` names the rule " execution-denied".
    return (row?.rules ?? '').split(',').includes(EXECUTION_DENIED_RULE);
  }
}

/** `replace` operations for each container image admission changed (JSON pointer into the object). */
function imagePatch(before: unknown, after: unknown, path: string[]): object[] {
  const ops: object[] = [];
  for (const list of containerLists) {
    const was = containersOf(before, list);
    for (const [i, container] of containersOf(after, list).entries()) {
      if (container.image !== was[i]?.image) ops.push({ op: 'replace', path: `/${[...path, list, String(i), 'image'].join('/')}`, value: container.image });
    }
  }
  return ops;
}
