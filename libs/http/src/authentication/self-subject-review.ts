import { nowTimestamp, type ResourceInfo, type WriteOptions, type WriteResult } from '@app/api-machinery';
import type { ResourceHandler } from '@app/persistence';

export const selfSubjectReviewsInfo: ResourceInfo = {
  group: 'authentication.k8s.io',
  version: 'v1',
  resource: 'selfsubjectreviews',
  singularName: 'selfsubjectreview',
  kind: 'SelfSubjectReview',
  listKind: 'SelfSubjectReviewList',
  namespaced: false,
  verbs: ['create'],
  fieldSelectors: [],
  mergeKeys: {},
};

/**
 * `kubectl auth whoami` asks kube-apiserver who the caller is by creating a SelfSubjectReview
 * (nothing is stored; the body's content does not matter). With API authentication on, the caller
 * is the user its token or password names, in `system:authenticated` as upstream adds for every
 * authenticated user; without it no request is authenticated, so the caller is who kube-apiserver
 * calls an anonymous one: `system:anonymous` in `system:unauthenticated`.
 */
export class SelfSubjectReviewHandler implements ResourceHandler {
  readonly info = selfSubjectReviewsInfo;

  create(_namespace: string, _body: unknown, options?: WriteOptions): Promise<WriteResult> {
    const userInfo = options?.user ?? { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    return Promise.resolve({
      code: 201,
      body: { kind: this.info.kind, apiVersion: `${this.info.group}/${this.info.version}`, metadata: { creationTimestamp: nowTimestamp() }, status: { userInfo } },
    });
  }
}
