import { ApiError, fieldErr, type FieldError, refOf, type ResourceInfo, type WriteOptions, type WriteResult } from '@app/api-machinery';
import { type AccessPolicy, ANONYMOUS_SUBJECT, subjectsOf, UNAUTHENTICATED_SUBJECT } from '@app/config';
import type { ResourceHandler } from '@app/persistence';
import { authorize } from './api-authorizer';
import { registryAccessStatus, registryActionOf } from './registry-access';
import { type ClusterScoped, reviewAttributesOf } from './request-attributes';
import { reviewAnswer } from './review-answer';
import { decodeReview, resourceAttributesSelectorProblems, reviewMetadataProblems } from './review-body';

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

/** Why a review is allowed with API_AUTHORIZATION=AlwaysAllow: the API authorizes no verb (README, Access control). */
const ALLOWED_REASON = 'imagestreamd has no access control on this: every request is allowed';

interface ReviewSpec {
  resourceAttributes?: Record<string, unknown>;
  nonResourceAttributes?: Record<string, unknown>;
}

/**
 * `kubectl auth can-i` and client libraries ask kube-apiserver whether the caller may do
 * something by creating a SelfSubjectAccessReview (nothing is stored). The API authorizes every
 * verb with API_AUTHORIZATION=AlwaysAllow, so the answer is allowed, except for the registry's
 * questions (pull and push on imagestreams/layers, as OpenShift's registry asks with the user's
 * token) from a caller that API authentication identified: those the access policy answers. With
 * `Policy` every question of an identified caller gets the answer the API itself would give the
 * caller's request (`authorize`, the registry's questions included), so `kubectl auth can-i` tells
 * the truth. The request is decoded and checked as upstream does it (decodeReview; exactly one of
 * resourceAttributes and nonResourceAttributes, empty metadata).
 */
export class SelfSubjectAccessReviewHandler implements ResourceHandler {
  readonly info = selfSubjectAccessReviewsInfo;

  constructor(
    private readonly policy?: AccessPolicy,
    private readonly authorizeByPolicy = false,
    private readonly clusterScoped: ClusterScoped = () => false,
  ) {}

  create(namespace: string, body: unknown, options?: WriteOptions): Promise<WriteResult> {
    const { metadata, spec } = decodeReview<ReviewSpec>(this.info, namespace, body);
    // kube's ValidateSelfSubjectAccessReview: the spec, then metadata.
    const errors: FieldError[] = [];
    const resource = spec.resourceAttributes !== undefined;
    const nonResource = spec.nonResourceAttributes !== undefined;
    if (resource && nonResource) errors.push(fieldErr.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
    if (!resource && !nonResource) errors.push(fieldErr.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
    errors.push(...resourceAttributesSelectorProblems(spec.resourceAttributes));
    errors.push(...reviewMetadataProblems(this.info, metadata));
    if (errors.length > 0) throw ApiError.invalid(refOf(this.info), '', errors);
    if (this.policy && this.authorizeByPolicy && options?.user) {
      return reviewAnswer(this.info, spec, authorize(this.policy, subjectsOf(options.user), reviewAttributesOf(spec, this.clusterScoped)));
    }
    const action = registryActionOf(spec.resourceAttributes);
    if (this.policy && action) {
      // Without API authentication the caller is anonymous, as the token endpoint and a
      // SubjectAccessReview about system:anonymous see it (a token sent is not read).
      const subjects = options?.user ? subjectsOf(options.user) : [ANONYMOUS_SUBJECT, UNAUTHENTICATED_SUBJECT];
      return reviewAnswer(this.info, spec, registryAccessStatus(this.policy, subjects, action, spec.resourceAttributes!));
    }
    return reviewAnswer(this.info, spec, { allowed: true, reason: ALLOWED_REASON });
  }
}
