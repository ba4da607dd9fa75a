import { ApiError } from '@app/api-machinery';
import type { AccessPolicy } from '@app/config';
import { authorize } from '@app/http';
import { type NamespaceQuota, withStreamQuotaEvaluator } from '@app/image';
import type { Database } from '@app/persistence';
import type { StreamCreationCheck } from './registry-token-issuer';

/**
 * StreamCreationCheck over the API's own decisions: `create imagestreams` in the namespace as the
 * API authorizes it (only `Policy` can refuse), a primary-key probe for the stream, and the
 * ResourceQuota admission a registry push's first push is charged with (both stream resources),
 * asked in a transaction that is rolled back.
 */
export function streamCreationCheck(db: Database, quota: NamespaceQuota, policy: AccessPolicy | null): StreamCreationCheck {
  return {
    mayCreate: (subjects, namespace) =>
      !policy ||
      authorize(policy, subjects, { resourceRequest: true, verb: 'create', path: '', group: 'image.openshift.io', version: 'v1', resource: 'imagestreams', subresource: '', namespace, name: '' }).allowed,
    streamExists: async (namespace, name) => (await db.query(`SELECT 1 FROM image_streams WHERE namespace = $1 AND name = $2`, [namespace, name])).length > 0,
    quotaAdmits: async (namespace, name) => {
      try {
        await db.transaction(
          (tx) => withStreamQuotaEvaluator('imagestreams', () => quota.admitCreate(tx, namespace, { ref: { group: 'image.openshift.io', resource: 'imagestreams', kind: 'ImageStream' }, name })),
          { rollback: true },
        );
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.code === 403) return false;
        throw e;
      }
    },
  };
}
