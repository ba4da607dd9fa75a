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

// Init containers first, as upstream visits (and reports) them.
const containerLists = ['initContainers', 'containers'] as const;
type Container = { name?: unknown; image?: unknown };

function containersOf(podSpec: unknown, list: (typeof containerLists)[number]): Container[] {
  const containers = valueAt(podSpec, [list]);
  return Array.isArray(containers) ? (containers as Container[]) : [];
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
    const path = location.split('.');
    const admitted = withMetadata(structuredClone(object));
    // The object's namespace may be unset on create; the request's is the one that counts.
    admitted.metadata.namespace = request.namespace;
    const old = operation === 'UPDATE' && request.oldObject !== null ? withMetadata(request.oldObject) : null;
    if (!(operation === 'UPDATE' && immutablePodTemplate(group, resource))) {
      await this.localNames.resolve(this.db, admitted, old, location);
    }
    if (executionRuleCovers(group, resource)) {
      const recheckAll = old !== null && resolvesAllNames(admitted, path) !== resolvesAllNames(old, path);
      const forbidden = await this.deniedImages(valueAt(admitted, path), old && valueAt(old, path), location, request.namespace, recheckAll);
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
   * asks this of the pod's images as they will run): local names resolve first, as on a pod
   * admitted here; an empty list when the namespace ignores the rule.
   */
  async prohibitedImages(namespace: string, images: string[]): Promise<string[]> {
    const pod = withMetadata({ metadata: { namespace }, spec: { containers: images.map((image, i) => ({ name: String(i), image })) } });
    await this.localNames.resolve(this.db, pod, null, 'spec');
    const resolved = containersOf(pod.spec, 'containers').map((c) => String(c.image));
    const prohibited: string[] = [];
    for (const [i, image] of resolved.entries()) if (await this.executionDenied(image, namespace)) prohibited.push(images[i]!);
    if (prohibited.length > 0 && (await this.namespaceIgnoresRule(namespace))) return [];
    return prohibited;
  }

  /**
   * Field errors for the containers whose image the execution rule refuses. On update, as
   * upstream, a container whose old namesake (in either list) ran the same image is not checked
   * again, unless the resolve-names annotation changed.
   */
  private async deniedImages(podSpec: unknown, oldPodSpec: unknown, location: string, namespace: string, recheckAll: boolean): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    const decided = new Map<string, boolean>();
    const oldImages = new Map<string, unknown>();
    for (const list of [...containerLists].reverse()) for (const c of containersOf(oldPodSpec, list)) oldImages.set(String(c.name), c.image);
    for (const list of containerLists) {
      for (const [i, container] of containersOf(podSpec, list).entries()) {
        if (typeof container.image !== 'string') continue;
        if (oldPodSpec && !recheckAll && oldImages.get(String(container.name)) === container.image) continue;
        let denied = decided.get(container.image);
        if (denied === undefined) {
          denied = await this.executionDenied(container.image, namespace);
          decided.set(container.image, denied);
        }
        if (denied) errors.push(fieldErr.forbidden(`${location}.${list}[${i}].image`, PROHIBITED));
      }
    }
    if (errors.length > 0 && (await this.namespaceIgnoresRule(namespace))) return [];
    return errors;
  }

  private async executionDenied(image: string, namespace: string): Promise<boolean> {
    const digest = await this.imageDigest(image, namespace);
    if (digest === null) return false;
    const [row] = await this.db.query<{ deny: string | null }>(
      `SELECT body->'metadata'->'annotations'->>$2 AS deny FROM images WHERE name = $1`,
      [digest, DENY_EXECUTION_ANNOTATION],
      'admission-image-deny',
    );
    return row?.deny === 'true';
  }

  /** The digest an image reference runs: its own, or the current image of the internal registry's tag it names; null when it does not resolve. */
  private async imageDigest(image: string, namespace: string): Promise<string | null> {
    const ref = parseDockerImageReferenceOrNull(image);
    if (!ref) return null;
    if (ref.id) return ref.id;
    if (this.internalRegistryHostname === '' || ref.registry !== this.internalRegistryHostname) return null;
    const [row] = await this.db.query<{ image: string }>(
      `SELECT e.image FROM image_streams s
         JOIN LATERAL (SELECT ev.image FROM image_stream_tag_events ev
                        WHERE ev.stream_uid = s.uid AND ev.tag = $3 ORDER BY ev.id DESC LIMIT 1) e ON true
        WHERE s.namespace = $1 AND s.name = $2`,
      [ref.namespace || namespace, ref.name, ref.tag || 'latest'],
      'admission-istag-image',
    );
    return row?.image ?? null;
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
