import { checkKindAndVersion, checkNamespaceOnCreate, apiVersionOf, type ResourceInfo } from '@app/api-machinery';

/**
 * What kube-apiserver's create handler checks of every body before the kind's own rules (400
 * BadRequest otherwise), as the generic store's decode does: the kind and apiVersion it names, when
 * it names one, are this resource's, and so is its metadata.namespace. Without it another kind's
 * document POSTed here (a Pod, a Trigger) was read as an empty redrive: the whole namespace.
 */
export function checkCreateEnvelope(info: ResourceInfo, namespace: string, body: unknown): void {
  // The decoder has checked the envelope's types (strings, or null as Go's zero value).
  const b = (typeof body === 'object' && body !== null ? body : {}) as { kind?: string | null; apiVersion?: string | null; metadata?: { namespace?: string | null } | null };
  checkKindAndVersion(b, info.kind, apiVersionOf(info));
  checkNamespaceOnCreate(b.metadata?.namespace, namespace);
}
