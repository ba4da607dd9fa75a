import { isJsonObject, labelSelectorText, matchesLabels, parseLabelSelector } from '@app/api-machinery';
import type { WorkloadKind } from './resource-infos';
import type { Workload } from './trigger.types';

/**
 * Workloads are stored as sent: this server runs no controller for them and reads only their
 * containers and trigger annotation (workload-validation.ts refuses what it could not patch).
 * kube-apiserver refuses more: an apps/v1 object without a selector matching its pod template,
 * a pod template without containers, a CronJob without a schedule or whose pods restart Always.
 * Such an object is kept, with one Warning per rule it breaks, because a cluster would not take it
 * and typed clients (the Python client's models, say) refuse to read an object missing a
 * required field.
 */

type WorkloadKindName = WorkloadKind['kind'];

const appsKinds: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function objectAt(root: unknown, path: string[]): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (!isJsonObject(node)) return undefined;
    node = node[key];
  }
  return isJsonObject(node) ? node : undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isJsonObject(value)) return undefined;
  const entries = Object.entries(value);
  return entries.every(([, v]) => typeof v === 'string') ? (value as Record<string, string>) : undefined;
}

/**
 * apps/v1 requires `spec.selector`; when it is missing and the pod template has labels, it is
 * set to select them, as extensions/v1beta1 defaulted it, so that clients reading the object get
 * the selector their models require. Changes `obj` in place.
 */
export function defaultWorkloadSelector(kind: WorkloadKindName, obj: Workload): void {
  if (!appsKinds.has(kind) || !isJsonObject(obj.spec)) return;
  if (obj.spec['selector'] !== undefined && obj.spec['selector'] !== null) return;
  const labels = stringMap(objectAt(obj.spec, ['template', 'metadata'])?.['labels']);
  if (labels && Object.keys(labels).length) obj.spec['selector'] = { matchLabels: { ...labels } };
}

/** kube-apiserver's refusals of this workload's spec, as Warning texts (none when it would take it). */
export function workloadCompletenessWarnings(kind: WorkloadKindName, spec: unknown): string[] {
  const refused = appsKinds.has(kind) ? appsRefusals(kind, spec) : cronJobRefusals(spec);
  return refused.map((r) => `${r} (kube-apiserver would refuse this ${kind}; it is stored as sent)`);
}

function appsRefusals(kind: WorkloadKindName, spec: unknown): string[] {
  const refused: string[] = [];
  const root = isJsonObject(spec) ? spec : {};
  const selector = root['selector'];
  const template = objectAt(root, ['template']);
  if (selector === undefined || selector === null) refused.push('spec.selector: Required value');
  else if (isJsonObject(selector)) {
    // Read as labels.Selector reads it (its printed form parsed); one that does not parse is not judged here.
    let requirements: ReturnType<typeof parseLabelSelector> | null = null;
    try {
      requirements = parseLabelSelector(labelSelectorText(selector));
    } catch {
      requirements = null;
    }
    if (requirements?.length === 0) refused.push(`spec.selector: Invalid value: ${JSON.stringify(selector)}: empty selector is invalid for ${kind.toLowerCase()}`);
    else if (requirements && !matchesLabels(requirements, stringMap(objectAt(template, ['metadata'])?.['labels']))) {
      refused.push('spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`');
    }
  }
  if (!template) refused.push('spec.template: Required value');
  else refused.push(...containersRefusal(template, 'spec.template.spec'));
  return refused;
}

function cronJobRefusals(spec: unknown): string[] {
  const refused: string[] = [];
  const root = isJsonObject(spec) ? spec : {};
  if (typeof root['schedule'] !== 'string' || root['schedule'] === '') refused.push('spec.schedule: Required value');
  const template = objectAt(root, ['jobTemplate', 'spec', 'template']);
  if (!template) return [...refused, 'spec.jobTemplate.spec.template: Required value'];
  refused.push(...containersRefusal(template, 'spec.jobTemplate.spec.template.spec'));
  // A pod's restartPolicy defaults to Always, which a Job's pods may not have.
  const restartPolicy = objectAt(template, ['spec'])?.['restartPolicy'] ?? 'Always';
  if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    refused.push(`spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: ${JSON.stringify(restartPolicy)}: supported values: "OnFailure", "Never"`);
  }
  return refused;
}

function containersRefusal(template: Record<string, unknown>, podSpecPath: string): string[] {
  const containers = objectAt(template, ['spec'])?.['containers'];
  return Array.isArray(containers) && containers.length ? [] : [`${podSpecPath}.containers: Required value`];
}
