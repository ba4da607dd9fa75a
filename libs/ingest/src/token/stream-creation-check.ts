import type { AccessPolicy } from '@app/config';
import { authorize } from '@app/http';
import type { Queryable } from '@app/persistence';
import type { StreamCreationCheck } from './registry-token-issuer';

/**
 * StreamCreationCheck under API_AUTHORIZATION=Policy: `create imagestreams` in the namespace as
 * the API itself decides it, and a primary-key probe for the stream.
 */
export function policyStreamCreationCheck(policy: AccessPolicy, db: Queryable): StreamCreationCheck {
  return {
    mayCreate: (subjects, namespace) =>
      authorize(policy, subjects, { resourceRequest: true, verb: 'create', path: '', group: 'image.openshift.io', version: 'v1', resource: 'imagestreams', subresource: '', namespace, name: '' }).allowed,
    streamExists: async (namespace, name) => (await db.query(`SELECT 1 FROM image_streams WHERE namespace = $1 AND name = $2`, [namespace, name])).length > 0,
  };
}
