import { type JsonPatchOp, parseFieldPath, type ParsedFieldPath, parseTriggersAnnotation, setImagePatch } from './annotation';
import { JSON_PATCH, type PatchType, STRATEGIC_MERGE_PATCH } from './cloudevent';
import { type WorkloadKind, workloadKinds } from './resource-infos';
import type { TagKey } from './tag-state';
import { parseStreamTag, TRIGGERS_ANNOTATION, type TriggerSpec, type Workload } from './trigger.types';

export interface TargetPatch {
  patchType: PatchType;
  patch: JsonPatchOp[] | Record<string, unknown>;
}

/** The workload kind a Trigger target names (Deployment today; any kind imagestreamd stores). */
export function workloadKindOf(kind: string): WorkloadKind | undefined {
  return workloadKinds.find((w) => w.kind === kind);
}

/** Does the target name a container (a fieldPath or container names)? Without one there is no patch. */
export function namesContainers(target: TriggerSpec['target']): boolean {
  return Boolean(target.fieldPath) || (target.containerNames?.length ?? 0) > 0;
}

/** The container image paths a target names: its fieldPath, else one per container name. */
function fieldPathsOf(target: TriggerSpec['target'], kind: WorkloadKind): string[] {
  if (target.fieldPath) return [target.fieldPath];
  return [...new Set(target.containerNames ?? [])].map((n) => `${kind.podSpecPath}.containers[?(@.name=="${n}")].image`);
}

/**
 * The patch that sets `pullSpec` on the containers a Trigger's workload target names, for the
 * consumer to apply to its workload:
 * - the workload is stored in imagestreamd and has a named container: a JSON patch of one
 *   idempotent `replace` per named container it has, at its index (also for a container that
 *   already runs the image: the consumer's own object may still lag ours), so the patch is never
 *   empty; named containers it lacks are left out, as OpenShift's DeploymentConfig trigger skips them;
 * - otherwise it is built from the target alone: a fieldPath with an index gives a JSON patch
 *   `replace` at that path; containers by name (containerNames or a `[?(@.name=="…")]` fieldPath)
 *   give a strategic-merge patch `{spec: {template: {spec: {containers: [{name, image}]}}}}`,
 *   which is what `kubectl set image` sends (it merges by container name; applied to an object
 *   without that container it would add one).
 * Null when the target is not a workload kind, names no container, or its fieldPath is not a
 * container image path of that kind.
 */
export function targetPatch(target: TriggerSpec['target'], stored: Workload | null, pullSpec: string): TargetPatch | null {
  const kind = workloadKindOf(target.kind);
  if (!kind) return null;
  const paths = fieldPathsOf(target, kind);
  const parsed = paths.map((p) => parseFieldPath(p, kind.podSpecPath));
  if (!paths.length || parsed.some((p) => p === null)) return null;
  if (stored) {
    // As OpenShift's DeploymentConfig image trigger sets the containers of containerNames the
    // template has and skips the others: a named container the stored workload lacks is left out
    // (a strategic-merge patch by its name would add it as a new container).
    const ops = paths.flatMap((p) => setImagePatch(stored, kind.podSpecPath, p, pullSpec) ?? []);
    if (ops.length) return { patchType: JSON_PATCH, patch: ops };
  }
  const selectors = parsed as ParsedFieldPath[];
  if (selectors.every((s) => 'index' in s.selector)) {
    const pointer = (s: ParsedFieldPath) => `/${[...kind.podSpecPath.split('.'), s.list, String((s.selector as { index: number }).index), 'image'].join('/')}`;
    return { patchType: JSON_PATCH, patch: selectors.map((s): JsonPatchOp => ({ op: 'replace', path: pointer(s), value: pullSpec })) };
  }
  if (selectors.every((s) => 'name' in s.selector)) return { patchType: STRATEGIC_MERGE_PATCH, patch: strategicMergePatch(kind, selectors, pullSpec) };
  return null;
}

/** `{spec: {template: {spec: {<list>: [{name, image}]}}}}` along the kind's pod spec path. */
function strategicMergePatch(kind: WorkloadKind, selectors: ParsedFieldPath[], image: string): Record<string, unknown> {
  const podSpec: Record<string, { name: string; image: string }[]> = {};
  for (const s of selectors) (podSpec[s.list] ??= []).push({ name: (s.selector as { name: string }).name, image });
  return kind.podSpecPath
    .split('.')
    .reverse()
    .reduce<Record<string, unknown>>((inner, key) => ({ [key]: inner }), podSpec);
}

/**
 * For a workload target that names no container: the JSON patch its own
 * `image.openshift.io/triggers` annotation says the tag `key` moving to `pullSpec` applies, one
 * idempotent `replace` per unpaused entry following that tag (at the container's index). This is
 * the patch the worker applies to the stored workload itself, so a Trigger naming the workload
 * carries it too. Null when the workload is not stored, has no usable annotation, or no unpaused
 * entry follows the tag onto an existing container.
 */
export function annotationTargetPatch(kind: WorkloadKind, stored: Workload | null, key: TagKey, pullSpec: string): TargetPatch | null {
  const annotation = stored?.metadata?.annotations?.[TRIGGERS_ANNOTATION];
  if (!stored || annotation === undefined) return null;
  const { triggers } = parseTriggersAnnotation(annotation, kind.podSpecPath);
  const ops = triggers.flatMap((entry) => {
    const followed = parseStreamTag(entry.from.name);
    const namespace = entry.from.namespace || stored.metadata.namespace;
    if (entry.paused || !followed || namespace !== key.namespace || followed.stream !== key.stream || followed.tag !== key.tag) return [];
    return setImagePatch(stored, kind.podSpecPath, entry.fieldPath, pullSpec) ?? [];
  });
  return ops.length ? { patchType: JSON_PATCH, patch: ops } : null;
}
