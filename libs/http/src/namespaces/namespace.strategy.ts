import { type FieldError, fieldErr, type ResourceStrategy, validateNamespaceName, validateQualifiedName } from '@app/api-machinery';
import { NAME_LABEL, type Namespace } from './namespace.types';

/** The finalizers kube accepts without a '/' (helper.IsStandardFinalizerName). */
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** core validation's validateFinalizerName for each spec finalizer, at `path(i)`. */
function validateSpecFinalizers(ns: Namespace, path: (i: number) => string): FieldError[] {
  const finalizers = ns.spec?.finalizers;
  if (!Array.isArray(finalizers)) return [];
  return finalizers.flatMap((f, i) => {
    if (typeof f !== 'string') return [fieldErr.invalid(path(i), f, 'must be a string')];
    const errors = validateQualifiedName(f, path(i));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) errors.push(fieldErr.invalid(path(i), f, 'name is neither a standard finalizer name nor is it fully qualified'));
    return errors;
  });
}

/** kube's ShouldDeleteNamespaceDuringUpdate: a terminating namespace goes with an update only once its spec.finalizers are empty too. */
function specFinalized(ns: Namespace): boolean {
  return !ns.spec?.finalizers?.length;
}

/**
 * kube-apiserver's namespace strategy: the status is the server's, the name a DNS-1123 label, the
 * `kubernetes` finalizer always present, and the `kubernetes.io/metadata.name` label always the name.
 */
export class NamespaceStrategy implements ResourceStrategy<Namespace> {
  prepareForCreate(ns: Namespace): void {
    const finalizers = ns.spec?.finalizers ?? [];
    ns.spec = { ...ns.spec, finalizers: finalizers.includes('kubernetes') ? finalizers : [...finalizers, 'kubernetes'] };
    ns.status = { phase: 'Active' };
    delete ns.metadata.generation;
    labelName(ns);
  }

  /** ValidateNamespace: the name, and each spec finalizer (reported at `spec.finalizers`, as kube does). */
  validate(ns: Namespace): FieldError[] {
    return [...(ns.metadata.name ? validateNamespaceName(ns.metadata.name, 'metadata.name') : []), ...validateSpecFinalizers(ns, () => 'spec.finalizers')];
  }

  canonicalize(): void {}

  prepareForUpdate(ns: Namespace, old: Namespace): void {
    ns.status = old.status;
    // spec.finalizers changes only through the /finalize subresource upstream.
    ns.spec = old.spec;
    labelName(ns);
  }

  validateUpdate(ns: Namespace): FieldError[] {
    return this.validate(ns);
  }

  /** Also wait for spec.finalizers (a label written meanwhile must not skip the emptying). */
  deletableDuringUpdate(ns: Namespace): boolean {
    return specFinalized(ns);
  }
}

/** The label every namespace carries with its own name (kube's Canonicalize and defaulting set it on every write). */
function labelName(ns: Namespace): void {
  if (ns.metadata.name) ns.metadata.labels = { ...ns.metadata.labels, [NAME_LABEL]: ns.metadata.name };
}

/** kube's namespaceStatusStrategy (`namespaces/{name}/status`): only the status changes. */
export class NamespaceStatusStrategy implements ResourceStrategy<Namespace> {
  prepareForCreate(): void {}
  validate(): FieldError[] {
    return [];
  }
  canonicalize(): void {}
  prepareForUpdate(ns: Namespace, old: Namespace): void {
    ns.spec = old.spec;
    delete ns.metadata.generation;
    labelName(ns);
  }
  /** ValidateNamespaceStatusUpdate: the phase follows deletionTimestamp (field `status.Phase`, as kube spells it). */
  validateUpdate(ns: Namespace): FieldError[] {
    const phase = ns.status?.phase ?? '';
    if (!ns.metadata.deletionTimestamp && phase !== 'Active') return [fieldErr.invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty")];
    if (ns.metadata.deletionTimestamp && phase !== 'Terminating') return [fieldErr.invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")];
    return [];
  }
  deletableDuringUpdate(ns: Namespace): boolean {
    return specFinalized(ns);
  }
}

/**
 * kube's namespaceFinalizeStrategy (`namespaces/{name}/finalize`): spec.finalizers change, the
 * status is kept. Emptying them on a terminating namespace removes it (ShouldDeleteNamespaceDuringUpdate).
 */
export class NamespaceFinalizeStrategy implements ResourceStrategy<Namespace> {
  prepareForCreate(): void {}
  validate(): FieldError[] {
    return [];
  }
  canonicalize(): void {}
  prepareForUpdate(ns: Namespace, old: Namespace): void {
    ns.status = old.status;
    delete ns.metadata.generation;
    labelName(ns);
  }
  /** ValidateNamespaceFinalizeUpdate: each finalizer at `spec.finalizers[i]`. */
  validateUpdate(ns: Namespace): FieldError[] {
    return validateSpecFinalizers(ns, (i) => `spec.finalizers[${i}]`);
  }
  deletableDuringUpdate(ns: Namespace): boolean {
    return specFinalized(ns);
  }
}
