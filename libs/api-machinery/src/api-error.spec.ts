import { ApiError } from './api-error';
import { fieldErr } from './field-errors';

const ref = { group: 'image.openshift.io', resource: 'imagestreams', kind: 'ImageStream' };

describe('ApiError Status bodies', () => {
  it('renders NotFound like the apiserver', () => {
    expect(ApiError.notFound(ref, 'nope').toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'imagestreams.image.openshift.io "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'image.openshift.io', kind: 'imagestreams' },
      code: 404,
    });
  });
  it('renders Invalid with one cause per field error and the Kind in details', () => {
    const s = ApiError.invalid(ref, 'Bad_Name', [
      fieldErr.invalid('metadata.name', 'Bad_Name', 'must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"'),
    ]).toStatus();
    expect(s.code).toBe(422);
    expect(s.message).toBe(
      'ImageStream.image.openshift.io "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"',
    );
    expect(s.details).toEqual({
      name: 'Bad_Name',
      group: 'image.openshift.io',
      kind: 'ImageStream',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "Bad_Name": must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"', field: 'metadata.name' }],
    });
  });
  it('leaves empty name and group out of details, as Go marshals StatusDetails (omitempty)', () => {
    expect(ApiError.notFound({ group: '', resource: 'namespaces' }, 'demo').toStatus().details).toEqual({ name: 'demo', kind: 'namespaces' });
    expect(ApiError.invalid({ group: '', resource: 'pods', kind: 'Pod' }, '', [fieldErr.required('spec')]).toStatus().details).toEqual({
      kind: 'Pod',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }],
    });
  });
  it('aggregates several errors in brackets', () => {
    const s = ApiError.invalid(ref, 'x', [fieldErr.required('a'), fieldErr.required('b')]).toStatus();
    expect(s.message).toBe('ImageStream.image.openshift.io "x" is invalid: [a: Required value, b: Required value]');
  });
  it('renders Conflict for a stale resourceVersion', () => {
    expect(ApiError.staleResourceVersion(ref, 'ruby').message).toBe(
      'Operation cannot be fulfilled on imagestreams.image.openshift.io "ruby": the object has been modified; please apply your changes to the latest version and try again',
    );
  });
});
