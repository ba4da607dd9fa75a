import { ApiError, type ResourceInfo, type WriteOptions, type WriteResult } from '@app/api-machinery';
import { type AccessPolicy, subjectsOf } from '@app/config';
import type { ResourceHandler, ResourceRegistry } from '@app/persistence';
import { rulesFor } from './api-authorizer';
import { reviewAnswer } from './review-answer';
import { decodeReview } from './review-body';

export const selfSubjectRulesReviewsInfo: ResourceInfo = {
  group: 'authorization.k8s.io',
  version: 'v1',
  resource: 'selfsubjectrulesreviews',
  singularName: 'selfsubjectrulesreview',
  kind: 'SelfSubjectRulesReview',
  listKind: 'SelfSubjectRulesReviewList',
  namespaced: false,
  verbs: ['create'],
  fieldSelectors: [],
  mergeKeys: {},
};

/**
 * `kubectl auth can-i --list` asks for every rule the caller holds in a namespace. With no access
 * control (API_AUTHORIZATION=AlwaysAllow), the caller holds one rule for everything, which kubectl
 * prints as `*.*  []  []  [*]`; with `Policy`, the rules of the caller's grants (rulesFor, beside
 * the decision it describes). As upstream, the body is decoded as the kind (decodeReview) and a
 * review without spec.namespace is a bad request (kubectl sends the current one).
 */
export class SelfSubjectRulesReviewHandler implements ResourceHandler {
  readonly info = selfSubjectRulesReviewsInfo;

  /** `policy` and `registry` (the served kinds) only with API_AUTHORIZATION=Policy. */
  constructor(
    private readonly policy?: AccessPolicy,
    private readonly registry?: ResourceRegistry,
  ) {}

  create(namespace: string, body: unknown, options?: WriteOptions): Promise<WriteResult> {
    const { spec } = decodeReview<{ namespace?: unknown }>(this.info, namespace, body);
    if (typeof spec.namespace !== 'string' || spec.namespace === '') {
      throw ApiError.badRequest('no namespace on request');
    }
    if (this.policy && this.registry && options?.user) {
      const kinds = this.registry.all().map((h) => ({ group: h.info.group, resource: h.info.resource, namespaced: h.info.namespaced, verbs: h.info.verbs }));
      return reviewAnswer(this.info, { namespace: spec.namespace }, { ...rulesFor(this.policy, subjectsOf(options.user), spec.namespace, kinds), incomplete: false });
    }
    return reviewAnswer(
      this.info,
      { namespace: spec.namespace },
      {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      },
    );
  }
}
