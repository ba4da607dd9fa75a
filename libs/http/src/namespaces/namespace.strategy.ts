import { type FieldError, type ResourceStrategy, validateNamespaceName } from '@app/api-machinery';
import type { Namespace } from './namespace.types';

/** kube-apiserver's namespace strategy: the status is the server's, the name a DNS-1123 label. */
export class NamespaceStrategy implements ResourceStrategy<Namespace> {
  prepareForCreate(ns: Namespace): void {
    ns.spec = { finalizers: ['kubernetes'], ...ns.spec };
    ns.status = { phase: 'Active' };
    delete ns.metadata.generation;
  }

  validate(ns: Namespace): FieldError[] {
    return ns.metadata.name ? validateNamespaceName(ns.metadata.name, 'metadata.name') : [];
  }

  canonicalize(): void {}

  prepareForUpdate(ns: Namespace, old: Namespace): void {
    ns.status = old.status;
    // spec.finalizers changes only through the /finalize subresource upstream.
    ns.spec = old.spec;
  }

  validateUpdate(ns: Namespace): FieldError[] {
    return this.validate(ns);
  }
}
