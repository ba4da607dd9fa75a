import type { ParameterisedSql } from '@app/persistence';

/**
 * One row when `namespace` is marked for deletion (Terminating). kube-apiserver's NamespaceLifecycle
 * refuses every create there, and OpenShift's registry creates an ImageStreamMapping per push, so
 * there a push into a terminating namespace fails. Here the registry already holds the push: it is
 * not mapped into a namespace about to be emptied (which would drop it silently) but retried until
 * the namespace is gone, and then recorded as any push to a namespace nobody created.
 */
export function namespaceTerminatingSql(namespace: string): ParameterisedSql {
  return { text: `SELECT true AS terminating FROM namespaces WHERE name = $1::text AND body->'metadata' ? 'deletionTimestamp'`, values: [namespace] };
}

/** Retryable: the push waits for the namespace's deletion to finish. */
export class NamespaceTerminatingError extends Error {
  constructor(namespace: string) {
    super(`namespace ${namespace} is being terminated: the push is recorded once the namespace is gone`);
    this.name = 'NamespaceTerminatingError';
  }
}
