import { dockerImageRepositoryOf, exactReference, type ImageStream, parseDockerImageReference, parseDockerImageReferenceOrNull, ReferenceError, resolveReferenceForTagEvent } from '@app/image';
import type { Queryable } from '@app/persistence';
import type { Workload } from './trigger.types';
import { valueAt } from './value-at';

/** Asks for local name resolution whatever the stream's lookupPolicy (on the object or its pod template). */
export const RESOLVE_NAMES_ANNOTATION = 'alpha.image.policy.openshift.io/resolve-names';

interface StreamTagRow {
  stream: ImageStream;
  image: string | null;
  ref: string | null;
  image_found: boolean;
}

type Container = { name?: unknown; image?: unknown };

const containerLists = ['initContainers', 'containers'] as const;

/** Whether an ownerReference with `controller: true` is set (ObjectMeta keeps them untyped here). */
function controlledByOwner(metadata: object): boolean {
  const refs = (metadata as { ownerReferences?: unknown }).ownerReferences;
  return Array.isArray(refs) && refs.some((ref) => !!ref && typeof ref === 'object' && (ref as { controller?: unknown }).controller === true);
}

/**
 * Container name → image of a pod spec, the first container of each name, init containers first
 * (upstream hasIdenticalPodSpecImage looks a name up across both lists).
 */
function imagesByContainer(podSpec: unknown): Map<string, unknown> {
  const images = new Map<string, unknown>();
  if (!podSpec || typeof podSpec !== 'object') return images;
  for (const list of containerLists) {
    const containers = (podSpec as Record<string, unknown>)[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers as Container[]) if (c && !images.has(String(c.name))) images.set(String(c.name), c.image);
  }
  return images;
}

function asksForResolution(annotations: unknown): boolean {
  return !!annotations && typeof annotations === 'object' && (annotations as Record<string, unknown>)[RESOLVE_NAMES_ANNOTATION] === '*';
}

/**
 * OpenShift's image policy admission with its default rules (resolve local names, rewrite only
 * what resolved locally) for the workloads stored here: a container image that is a bare
 * `<stream>[:<tag>]` becomes the pull spec of that tag's image (`<repository>@<digest>`, the tag's
 * referencePolicy applied) when the stream in the workload's namespace has `lookupPolicy.local`, or
 * when the workload or its pod template carries `alpha.image.policy.openshift.io/resolve-names: "*"`
 * (then any name is looked up as a stream of the namespace). A tag without an image becomes
 * `<status.dockerImageRepository>:<tag>` (either way); a tag whose Image is gone stays as written,
 * as does anything else.
 */
export class LocalImageNames {
  constructor(private readonly internalRegistryHostname: string) {}

  /**
   * `old`: the stored workload on an update. As upstream, only references the update changed are
   * resolved, unless the resolve-names annotation changed; an object a controller owns is skipped
   * (its owner's template was resolved).
   */
  async resolve(q: Queryable, workload: Workload, old: Workload | null, podSpecPath: string): Promise<void> {
    if (controlledByOwner(workload.metadata)) return;
    const specPath = podSpecPath.split('.');
    const podSpec = valueAt(workload, specPath);
    if (!podSpec || typeof podSpec !== 'object') return;
    const templateAnnotations = [...specPath.slice(0, -1), 'metadata', 'annotations'];
    const force = asksForResolution(workload.metadata.annotations) || asksForResolution(valueAt(workload, templateAnnotations));
    const forcedBefore = old !== null && (asksForResolution(old.metadata.annotations) || asksForResolution(valueAt(old, templateAnnotations)));
    const unchanged = old !== null && force === forcedBefore ? imagesByContainer(valueAt(old, specPath)) : new Map<string, unknown>();
    const namespace = workload.metadata.namespace!;
    for (const list of containerLists) {
      const containers = (podSpec as Record<string, unknown>)[list];
      if (!Array.isArray(containers)) continue;
      for (const container of containers as Container[]) {
        if (!container || typeof container.image !== 'string') continue;
        if (unchanged.get(String(container.name)) === container.image) continue;
        const resolved = await this.resolveImage(q, namespace, container.image, force);
        if (resolved) container.image = resolved;
      }
    }
  }

  /** The rewritten pull spec, or null to leave the image as written. */
  private async resolveImage(q: Queryable, namespace: string, image: string, force: boolean): Promise<string | null> {
    const ref = parseDockerImageReferenceOrNull(image);
    if (!ref) return null;
    // A digest names one image already; only single-segment names are local (unless forced).
    if (ref.id) return null;
    const local = force || (!ref.registry && !ref.namespace && ref.name !== '');
    // A tag of the internal registry is an ImageStreamTag too (of its namespace, else the workload's):
    // upstream rewrites it only when that tag has no image (below), never to the tag's image.
    const internal = this.internalRegistryHostname !== '' && ref.registry === this.internalRegistryHostname;
    if (!local && !internal) return null;
    const tag = ref.tag || 'latest';
    const [row] = await q.query<StreamTagRow>(
      `SELECT s.body AS stream, e.image, e.docker_image_reference AS ref,
              EXISTS (SELECT 1 FROM images i WHERE i.name = e.image) AS image_found
         FROM image_streams s
         LEFT JOIN LATERAL (SELECT ev.image, ev.docker_image_reference FROM image_stream_tag_events ev
                             WHERE ev.stream_uid = s.uid AND ev.tag = $3 ORDER BY ev.id DESC LIMIT 1) e ON true
        WHERE s.namespace = $1 AND s.name = $2`,
      [local || !ref.namespace ? namespace : ref.namespace, ref.name, tag],
      'lookup-local-name',
    );
    if (!row) return null;
    const stream = row.stream;
    if (!force && stream.spec?.lookupPolicy?.local !== true) return null;
    const repository = dockerImageRepositoryOf(stream, { internalRegistryHostname: this.internalRegistryHostname, publicRegistryHostname: '' });
    // As upstream: a tag with no image (the ImageStreamTag is not found) of a stream that resolves
    // names (lookupPolicy.local or the annotation) points at the stream's repository by tag, whether
    // it was named locally or through the internal registry (apiserver-library-go
    // resolveImageStreamTag); a tag whose Image is gone fails on the Image instead and stays as written.
    if (!row.image) return repository ? `${repository}:${tag}` : null;
    if (!row.image_found || !local) return null;
    const pullSpec = resolveReferenceForTagEvent(stream, tag, { image: row.image, dockerImageReference: row.ref ?? '', created: '', generation: 0 }, repository);
    try {
      return exactReference({ ...parseDockerImageReference(pullSpec), tag: '', id: row.image });
    } catch (e) {
      if (e instanceof ReferenceError) return null;
      throw e;
    }
  }
}
