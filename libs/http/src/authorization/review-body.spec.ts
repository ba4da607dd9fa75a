import { fieldErrorString } from '@app/api-machinery';
import { decodeReview, reviewMetadataProblems } from './review-body';
import { selfSubjectAccessReviewsInfo } from './self-subject-access-review';
import { localSubjectAccessReviewsInfo } from './subject-access-review';

const metadataError = (info: typeof selfSubjectAccessReviewsInfo, namespace: string, metadata: object) => {
  const { metadata: decoded } = decodeReview(info, namespace, { metadata, spec: {} });
  return reviewMetadataProblems(info, decoded).map(fieldErrorString);
};

describe('review metadata (kube ValidateSubjectAccessReview & co.)', () => {
  it.each([
    [{}, []],
    [{ uid: 'u', selfLink: '/x', creationTimestamp: '2024-01-01T00:00:00Z', deletionTimestamp: '2024-01-01T00:00:00Z', deletionGracePeriodSeconds: 1 }, []],
    [{ namespace: 'ns', labels: {}, annotations: {}, finalizers: [], ownerReferences: [], name: '', generation: 0, managedFields: [{ manager: 'm' }] }, []],
    [{ resourceVersion: '5', generation: 2 }, ['metadata: Invalid value: {"resourceVersion":"5","generation":2,"creationTimestamp":null}: must be empty']],
    [
      { ownerReferences: [{ uid: 'u', name: 'n', controller: true, kind: 'K', apiVersion: 'v1' }], annotations: { 'a&b': 'x' } },
      ['metadata: Invalid value: {"creationTimestamp":null,"annotations":{"a\\u0026b":"x"},"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"n","uid":"u","controller":true}]}: must be empty'],
    ],
  ])('cluster-scoped %j', (metadata, errors) => {
    expect(metadataError(selfSubjectAccessReviewsInfo, '', metadata)).toEqual(errors);
  });

  it('a local review may name its namespace only, which is shown', () => {
    expect(metadataError(localSubjectAccessReviewsInfo, 'ns', { namespace: 'ns' })).toEqual([]);
    expect(metadataError(localSubjectAccessReviewsInfo, 'ns', { generateName: 'g' })).toEqual(['metadata: Invalid value: {"generateName":"g","namespace":"ns","creationTimestamp":null}: must be empty except for namespace']);
    expect(() => decodeReview(localSubjectAccessReviewsInfo, 'ns', { metadata: { namespace: 'other' } })).toThrow('the namespace of the provided object does not match the namespace sent on the request');
  });
});
