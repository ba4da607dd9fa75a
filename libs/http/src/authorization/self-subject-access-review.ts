import { ApiError, fieldErr, refOf, type ResourceInfo, type WriteResult } from '@app/api-machinery';
import type { ResourceHandler } from '@app/persistence';
import { reviewAnswer } from './review-answer';

export const selfSubjectAccessReviewsInfo: ResourceInfo = {
  group: 'authorization.k8s.io',
  version: 'v1',
  resource: 'selfsubjectaccessreviews',
  singularName: 'selfsubjectaccessreview',
  kind: 'SelfSubjectAccessReview',
  listKind: 'SelfSubjectAccessReviewList',
  namespaced: false,
  verbs: ['create'],
  fieldSelectors: [],
  mergeKeys: {},
};

/** Why every review is allowed: this server has no access control (README, Security). */
const ALLOWED_REASON = 'imagestreamd has no access control: every request is allowed';

interface ReviewSpec {
  resourceAttributes?: Record<string, unknown>;
  nonResourceAttributes?: Record<string, unknown>;
}

/**
 * `kubectl auth can-i` and client libraries ask kube-apiserver whether the caller may do
 * something by creating a SelfSubjectAccessReview (nothing is stored). This server authorizes
 * everything, so the answer is always allowed; the request is checked as upstream checks it
 * (exactly one of resourceAttributes and nonResourceAttributes).
 */
export class SelfSubjectAccessReviewHandler implements ResourceHandler {
  readonly info = selfSubjectAccessReviewsInfo;

  create(_namespace: string, body: unknown): Promise<WriteResult> {
    const spec = ((body as { spec?: unknown } | null)?.spec ?? {}) as ReviewSpec;
    const resource = spec.resourceAttributes !== undefined;
    const nonResource = spec.nonResourceAttributes !== undefined;
    if (resource && nonResource) {
      throw ApiError.invalid(refOf(this.info), '', [
        fieldErr.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'),
      ]);
    }
    if (!resource && !nonResource) {
      throw ApiError.invalid(refOf(this.info), '', [
        fieldErr.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
      ]);
    }
    return reviewAnswer(this.info, spec, { allowed: true, reason: ALLOWED_REASON });
  }
}
