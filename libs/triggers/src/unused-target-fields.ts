import { workloadKindOf } from './target-patch';
import type { Trigger } from './trigger.types';

/**
 * A Build or Webhook target naming containers: only a workload target's events carry a patch, so
 * the fields do nothing there. Accepted (an old client may send them; validation already checked
 * their form), with a Warning so the writer learns it, as kube-apiserver warns about what it keeps
 * but ignores.
 */
export function unusedTargetFieldWarnings(trigger: Trigger): string[] {
  const target = trigger.spec?.target;
  if (!target || typeof target.kind !== 'string' || workloadKindOf(target.kind)) return [];
  const named: string[] = [];
  if (target.fieldPath) named.push('spec.target.fieldPath');
  if (Array.isArray(target.containerNames) && target.containerNames.length > 0) named.push('spec.target.containerNames');
  return named.map((field) => `${field}: ignored for a ${target.kind} target: only a Deployment target's events carry a patch`);
}
