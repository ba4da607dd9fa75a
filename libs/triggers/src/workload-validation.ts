import { type FieldError, fieldErr, isJsonObject, validateDns1123Label } from '@app/api-machinery';
import { sourcePullRefusal } from '@app/config';
import { parseTriggersAnnotation } from './annotation';
import { TRIGGERS_ANNOTATION, type Workload } from './trigger.types';


/**
 * The parts of a workload this server reads and patches, checked as kube-apiserver would refuse
 * them: spec and the pod template are objects, `replicas` an integer, containers a list of objects
 * with a unique DNS-1123 label name and a string image. The rest is stored as sent (no schema).
 */
export function validateWorkloadShape(spec: unknown, podSpecPath: string): FieldError[] {
  if (spec === undefined || spec === null) return [];
  if (!isJsonObject(spec)) return [fieldErr.invalid('spec', spec, 'must be an object')];
  const errors: FieldError[] = [];
  const replicas = spec['replicas'];
  if (replicas !== undefined && replicas !== null && !(Number.isInteger(replicas) && (replicas as number) >= 0)) {
    errors.push(fieldErr.invalid('spec.replicas', replicas, 'must be a non-negative integer'));
  }
  let node: unknown = spec;
  const segments = podSpecPath.split('.').slice(1);
  for (let i = 0; i < segments.length; i++) {
    node = (node as Record<string, unknown>)[segments[i]!];
    if (node === undefined || node === null) return errors;
    if (!isJsonObject(node)) return [...errors, fieldErr.invalid(['spec', ...segments.slice(0, i + 1)].join('.'), node, 'must be an object')];
  }
  const pod = node as Record<string, unknown>;
  for (const list of ['initContainers', 'containers']) errors.push(...validateContainers(pod[list], `${podSpecPath}.${list}`));
  return errors;
}

function validateContainers(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [fieldErr.invalid(path, value, 'must be a list')];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  value.forEach((c: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isJsonObject(c)) {
      errors.push(fieldErr.invalid(at, c, 'must be an object'));
      return;
    }
    const name = c['name'];
    if (typeof name !== 'string' || name === '') errors.push(fieldErr.required(`${at}.name`));
    else {
      errors.push(...validateDns1123Label(name, `${at}.name`));
      if (seen.has(name)) errors.push(fieldErr.duplicate(`${at}.name`, name));
      seen.add(name);
    }
    if (c['image'] !== undefined && c['image'] !== null && typeof c['image'] !== 'string') errors.push(fieldErr.invalid(`${at}.image`, c['image'], 'must be a string'));
  });
  return errors;
}

/** `<namespace>/<stream>` of each other namespace's stream the workload's triggers annotation follows. */
function otherNamespaceStreams(workload: Workload, podSpecPath: string): Map<string, { namespace: string; stream: string }> {
  const value = workload.metadata.annotations?.[TRIGGERS_ANNOTATION];
  const streams = new Map<string, { namespace: string; stream: string }>();
  if (value === undefined) return streams;
  for (const entry of parseTriggersAnnotation(value, podSpecPath).triggers) {
    const namespace = entry.from.namespace;
    if (!namespace || namespace === workload.metadata.namespace) continue;
    const stream = entry.from.name.slice(0, entry.from.name.indexOf(':'));
    streams.set(`${namespace}/${stream}`, { namespace, stream });
  }
  return streams;
}

/**
 * An annotated workload reads the tags it follows (their pull specs become its images), so
 * following another namespace's stream needs what a Trigger's `spec.from.namespace` needs: the
 * caller may pull there, else Forbidden at the annotation (worded as upstream's tag verifier).
 * Asked only for streams the stored object (`old`) did not follow already, so a workload set up
 * by someone allowed can still be scaled or edited; server-made writes are not asked.
 */
export function annotationSourceRefusals(workload: Workload, old: Workload | null, podSpecPath: string): FieldError[] {
  const before = old ? otherNamespaceStreams(old, podSpecPath) : new Map();
  const errors: FieldError[] = [];
  for (const [key, { namespace, stream }] of otherNamespaceStreams(workload, podSpecPath)) {
    if (before.has(key)) continue;
    const refusal = sourcePullRefusal(namespace, stream);
    if (refusal) errors.push(fieldErr.forbidden(`metadata.annotations[${TRIGGERS_ANNOTATION}]`, refusal));
  }
  return errors;
}
