import { registerKnownTypes } from '@app/api-machinery';

/**
 * Review kinds kube-apiserver's scheme still holds in versions it no longer serves. A review
 * body naming one of them decodes there, so its refusal is worded by version (the API version in
 * the data … does not match), not by a failed lookup.
 */
export function registerOlderReviewKinds(): void {
  registerKnownTypes('authorization.k8s.io/v1beta1', ['SubjectAccessReview', 'SelfSubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectRulesReview']);
  registerKnownTypes('authentication.k8s.io/v1beta1', ['SelfSubjectReview']);
  registerKnownTypes('authentication.k8s.io/v1alpha1', ['SelfSubjectReview']);
}
