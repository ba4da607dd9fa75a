import { type FieldError, type ResourceStrategy, validateNamespaceName } from '@app/api-machinery';
import { NAME_LABEL, type Namespace } from './namespace.types';

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
    this.labelName(ns);
  }

  private labelName(ns: Namespace): void {
    if (ns.metadata.name) ns.metadata.labels = { ...ns.metadata.labels, [NAME_LABEL]: ns.metadata.name };
  }

  validate(ns: Namespace): FieldError[] {
    return ns.metadata.name ? validateNamespaceName(ns.metadata.name, 'metadata.name') : [];
  }

  canonicalize(): void {}

  prepareForUpdate(ns: Namespace, old: Namespace): void {
    ns.status = old.status;
    // spec.finalizers changes only through the /finalize subresource upstream.
    ns.spec = old.spec;
    this.labelName(ns);
  }

  validateUpdate(ns: Namespace): FieldError[] {
    return this.validate(ns);
  }

  /**
   * kube's ShouldDeleteNamespaceDuringUpdate: a terminating namespace goes with an update only once
   * its spec.finalizers are empty too (a label written meanwhile must not skip the emptying).
   */
  deletableDuringUpdate(ns: Namespace): boolean {
    return !ns.spec?.finalizers?.length;
  }
}
