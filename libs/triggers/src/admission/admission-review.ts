import { ApiError, type Status, isJsonObject } from '@app/api-machinery';

/** The AdmissionReview versions kube-apiserver sends (`admissionReviewVersions` of a webhook). */
export const ADMISSION_REVIEW_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionReviewVersion = (typeof ADMISSION_REVIEW_VERSIONS)[number];

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** The parts of admission.k8s.io/v1 AdmissionRequest this server reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource: string;
  name: string;
  namespace: string;
  operation: AdmissionOperation;
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
  dryRun: boolean;
}

/** admission.k8s.io/v1 AdmissionResponse. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  patchType?: 'JSONPatch';
  /** base64 of a JSON patch (RFC 6902) against the request's object. */
  patch?: string;
  warnings?: string[];
}

export interface ParsedReview {
  apiVersion: AdmissionReviewVersion;
  request: AdmissionRequest;
}

const stringOr = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);

function groupVersionField(value: unknown, field: string, third: 'kind' | 'resource'): { group: string; version: string } & Record<string, string> {
  if (!isJsonObject(value) || typeof value[third] !== 'string' || typeof value['version'] !== 'string') {
    throw ApiError.badRequest(`request.${field} must be an object with group, version and ${third}`);
  }
  return { group: stringOr(value['group']), version: value['version'], [third]: value[third] };
}

/**
 * Reads an AdmissionReview as kube-apiserver sends it to a webhook. Anything that is not one (no
 * request, no uid, an unknown apiVersion or operation, an object that is not an object) is a
 * 400 Status: kube-apiserver treats the call as failed and applies the webhook's failurePolicy.
 */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isJsonObject(body)) throw ApiError.badRequest('the request body must be an AdmissionReview object');
  const apiVersion = body['apiVersion'];
  if (!ADMISSION_REVIEW_VERSIONS.includes(apiVersion as AdmissionReviewVersion)) {
    throw ApiError.badRequest(`unsupported AdmissionReview apiVersion ${JSON.stringify(apiVersion ?? '')}: expected one of ${ADMISSION_REVIEW_VERSIONS.join(', ')}`);
  }
  if (body['kind'] !== 'AdmissionReview') throw ApiError.badRequest(`expected kind AdmissionReview, got ${JSON.stringify(body['kind'] ?? '')}`);
  const request = body['request'];
  if (!isJsonObject(request)) throw ApiError.badRequest('AdmissionReview has no request');
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') throw ApiError.badRequest('request.uid is required');
  const operation = request['operation'];
  if (typeof operation !== 'string' || !OPERATIONS.includes(operation)) {
    throw ApiError.badRequest(`request.operation must be one of ${OPERATIONS.join(', ')}`);
  }
  const object = request['object'] ?? null;
  const oldObject = request['oldObject'] ?? null;
  if (object !== null && !isJsonObject(object)) throw ApiError.badRequest('request.object must be an object');
  if (oldObject !== null && !isJsonObject(oldObject)) throw ApiError.badRequest('request.oldObject must be an object');
  return {
    apiVersion: apiVersion as AdmissionReviewVersion,
    request: {
      uid,
      kind: groupVersionField(request['kind'], 'kind', 'kind') as AdmissionRequest['kind'],
      resource: groupVersionField(request['resource'], 'resource', 'resource') as AdmissionRequest['resource'],
      subResource: stringOr(request['subResource']),
      name: stringOr(request['name']),
      namespace: stringOr(request['namespace']),
      operation: operation as AdmissionOperation,
      object,
      oldObject,
      dryRun: request['dryRun'] === true,
    },
  };
}

/** The review sent back: same apiVersion and kind as the request, the answer in `response`. */
export function admissionReviewAnswer(apiVersion: AdmissionReviewVersion, response: AdmissionResponse): object {
  return { apiVersion, kind: 'AdmissionReview', response };
}
