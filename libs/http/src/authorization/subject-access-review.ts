import { ApiError, fieldErr, type FieldError, refOf, type ResourceInfo, type WriteResult } from '@app/api-machinery';
import { type AccessPolicy, AUTHENTICATED_SUBJECT } from '@app/config';
import type { ResourceHandler } from '@app/persistence';
import { isPublicPath } from '../authentication/api-authentication';
import { authorize } from './api-authorizer';
import { defaultRoleBindingAllows } from './default-role-bindings';
import { isLayers, layersVerbRefusal, registryAccessStatus, registryActionOf } from './registry-access';
import { type ClusterScoped, reviewAttributesOf } from './request-attributes';
import { reviewAnswer } from './review-answer';
import { decodeReview, resourceAttributesSelectorProblems, reviewMetadataProblems } from './review-body';

const base = { group: 'authorization.k8s.io', version: 'v1', verbs: ['create'], fieldSelectors: [] as string[], mergeKeys: {} };

export const subjectAccessReviewsInfo: ResourceInfo = {
  ...base,
  resource: 'subjectaccessreviews',
  singularName: 'subjectaccessreview',
  kind: 'SubjectAccessReview',
  listKind: 'SubjectAccessReviewList',
  namespaced: false,
};

export const localSubjectAccessReviewsInfo: ResourceInfo = {
  ...base,
  resource: 'localsubjectaccessreviews',
  singularName: 'localsubjectaccessreview',
  kind: 'LocalSubjectAccessReview',
  listKind: 'LocalSubjectAccessReviewList',
  namespaced: true,
};

const NO_ACCESS_CONTROL = 'imagestreamd has no access control on this: every request is allowed';

interface ReviewSpec {
  resourceAttributes?: Record<string, unknown>;
  nonResourceAttributes?: Record<string, unknown>;
  user?: unknown;
  groups?: unknown;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * SubjectAccessReview and LocalSubjectAccessReview (authorization.k8s.io/v1): may this user (and
 * groups) do this? Validated as kube-apiserver validates them. Pull and push questions (see
 * registryAction) are answered from the access policy when one is configured, the same grants the
 * registry token endpoint applies (subjects are the user and each group), and layers with any
 * other verb are refused, as the roles grant no other; every other question,
 * and all of them without a policy, is allowed: the API itself has no access control. With API
 * authentication, though, only the policy's users (each in system:authenticated) may use the API:
 * a review about anyone else is allowed only the public paths, as the API answers them 401.
 * With API_AUTHORIZATION=Policy a review about a policy user or `system:authenticated` gets the
 * API's own decision (`authorize`) for the subjects it names, registry questions included.
 */
export class SubjectAccessReviewHandler implements ResourceHandler {
  constructor(
    readonly info: ResourceInfo,
    private readonly policy: AccessPolicy | undefined,
    private readonly apiAuthentication = false,
    private readonly authorizeByPolicy = false,
    private readonly clusterScoped: ClusterScoped = () => false,
  ) {}

  create(namespace: string, body: unknown): Promise<WriteResult> {
    const { metadata, spec } = decodeReview<ReviewSpec>(this.info, namespace, body);
    const errors = this.problems(namespace, metadata, spec);
    if (errors.length > 0) throw ApiError.invalid(refOf(this.info), '', errors);
    const answer = (status: object) => reviewAnswer(this.info, spec, status, this.info.namespaced ? namespace : '');
    const user = str(spec.user);
    const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
    const action = registryActionOf(spec.resourceAttributes);
    if (!this.policy) return answer({ allowed: true, reason: NO_ACCESS_CONTROL });
    const subjects = [user, ...groups].filter((s) => s !== '');
    if (this.authorizeByPolicy) return answer(policyStatus(this.policy, user, groups, subjects, spec, this.clusterScoped));
    // Layers answer from the policy whatever the verb, so a review and the registry token agree.
    if (!action && spec.resourceAttributes && isLayers(spec.resourceAttributes)) return answer(layersVerbRefusal(str(spec.resourceAttributes['verb'])));
    if (!action && this.apiAuthentication) return answer(authenticatedApiStatus(this.policy, user, groups, spec.nonResourceAttributes));
    if (!action) return answer({ allowed: true, reason: NO_ACCESS_CONTROL });
    return answer(registryAccessStatus(this.policy, subjects, action, spec.resourceAttributes!));
  }

  /** kube's ValidateSubjectAccessReview / ValidateLocalSubjectAccessReview, in their order (a metadata.namespace of another namespace was already refused: decodeReview). */
  private problems(namespace: string, metadata: Record<string, unknown>, spec: ReviewSpec): FieldError[] {
    const errors: FieldError[] = [];
    const resource = spec.resourceAttributes !== undefined;
    const nonResource = spec.nonResourceAttributes !== undefined;
    if (resource && nonResource) errors.push(fieldErr.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
    if (!resource && !nonResource) errors.push(fieldErr.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
    const hasGroups = Array.isArray(spec.groups) && spec.groups.length > 0;
    if (str(spec.user) === '' && !hasGroups) errors.push(fieldErr.invalid('spec.user', str(spec.user), 'at least one of user or group must be specified'));
    errors.push(...resourceAttributesSelectorProblems(spec.resourceAttributes));
    errors.push(...reviewMetadataProblems(this.info, metadata));
    if (!this.info.namespaced) return errors;
    // A LocalSubjectAccessReview asks about its own namespace only.
    if (resource && str(spec.resourceAttributes!['namespace']) !== namespace) {
      errors.push(fieldErr.invalid('spec.resourceAttributes.namespace', str(spec.resourceAttributes!['namespace']), 'must match metadata.namespace'));
    }
    if (nonResource) errors.push(fieldErr.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
    return errors;
  }
}

/**
 * API_AUTHENTICATION=true: every policy user may do everything (the API authorizes no verb) and
 * anyone else only the public paths, so a subject the API would answer 401 is refused here too.
 */
function authenticatedApiStatus(policy: AccessPolicy, user: string, groups: string[], nonResource: Record<string, unknown> | undefined): { allowed: boolean; reason: string } {
  if (nonResource && isPublicPath(str(nonResource['path']))) return { allowed: true, reason: 'a public path: served without credentials' };
  if (policy.users.some((u) => u.name === user) || groups.includes(AUTHENTICATED_SUBJECT)) {
    return { allowed: true, reason: 'every authenticated user may do everything on the API: it authorizes no verb' };
  }
  const who = user === '' ? 'the review names no user of the access policy' : `"${user}" is not a user of the access policy`;
  return { allowed: false, reason: `API authentication accepts only the access policy's users, and ${who}` };
}

/**
 * API_AUTHORIZATION=Policy: public paths are allowed to anyone; a subject the API would answer 401
 * is refused as authenticatedApiStatus refuses it; anyone else gets the decision the API applies
 * to its requests, for the user and groups the review names (as kube's RBAC, only those count).
 */
function policyStatus(policy: AccessPolicy, user: string, groups: string[], subjects: string[], spec: ReviewSpec, clusterScoped: ClusterScoped): { allowed: boolean; reason: string } {
  if (spec.nonResourceAttributes && isPublicPath(str(spec.nonResourceAttributes['path']))) return { allowed: true, reason: 'a public path: served without credentials' };
  const attributes = reviewAttributesOf(spec, clusterScoped);
  // The registry's questions, and what a default role binding grants a subject by name (the
  // builder service account's create), keep their answers whoever they are about.
  const boundByDefault = registryActionOf(spec.resourceAttributes) !== null || (spec.resourceAttributes !== undefined && defaultRoleBindingAllows(subjects, attributes) !== null);
  if (!boundByDefault && !policy.users.some((u) => u.name === user) && !groups.includes(AUTHENTICATED_SUBJECT)) return authenticatedApiStatus(policy, user, groups, undefined);
  return authorize(policy, subjects, attributes);
}
