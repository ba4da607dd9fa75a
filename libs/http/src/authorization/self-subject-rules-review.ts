import { ApiError, type ResourceInfo, type WriteResult } from '@app/api-machinery';
import type { ResourceHandler } from '@app/persistence';
import { reviewAnswer } from './review-answer';

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
 * control, the caller holds one rule for everything, which kubectl prints as `*.*  []  []  [*]`.
 * As upstream, a review without spec.namespace is a bad request (kubectl sends the current one).
 */
export class SelfSubjectRulesReviewHandler implements ResourceHandler {
  readonly info = selfSubjectRulesReviewsInfo;

  create(_namespace: string, body: unknown): Promise<WriteResult> {
    const spec = ((body as { spec?: unknown } | null)?.spec ?? {}) as { namespace?: unknown };
    if (typeof spec.namespace !== 'string' || spec.namespace === '') {
      throw ApiError.badRequest('no namespace on request');
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
