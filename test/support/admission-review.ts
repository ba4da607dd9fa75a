/** An API resource as an AdmissionReview names it (group, version, resource and its kind). */
export interface ReviewedResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
}

export interface ReviewOptions {
  apiVersion?: string;
  oldObject?: object;
  subResource?: string;
  name?: string;
  namespace?: string;
  dryRun?: boolean;
}

let uidSeq = 0;

/** An AdmissionReview as kube-apiserver sends it to a webhook (admission.k8s.io/v1 unless told). */
export function admissionReview(resource: ReviewedResource, operation: string, object: object | null, extra: ReviewOptions = {}) {
  const { group, version, kind } = resource;
  return {
    apiVersion: extra.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `705ab4f5-6393-11e8-b7cc-42010a80${String(++uidSeq).padStart(4, '0')}`,
      kind: { group, version, kind },
      resource: { group, version, resource: resource.resource },
      requestKind: { group, version, kind },
      requestResource: { group, version, resource: resource.resource },
      ...(extra.subResource ? { subResource: extra.subResource } : {}),
      name: extra.name ?? 'p',
      namespace: extra.namespace ?? 'demo',
      operation,
      userInfo: { username: 'admin', uid: '014fbff9a07c', groups: ['system:authenticated'] },
      object,
      oldObject: extra.oldObject ?? null,
      dryRun: extra.dryRun ?? false,
      options: operation === 'CREATE' ? { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' } : null,
    },
  };
}

/** The JSON patch of an AdmissionResponse (base64 of RFC 6902 operations). */
export const decodeAdmissionPatch = (patch: string) => JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));

/** The internal registry name the admission tests give the api, and the annotations they set. */
export const INTERNAL_REGISTRY = 'registry.local:5000';
export const DENY_EXECUTION = 'images.openshift.io/deny-execution';
export const RESOLVE_NAMES = 'alpha.image.policy.openshift.io/resolve-names';

export const POD: ReviewedResource = { group: '', version: 'v1', resource: 'pods', kind: 'Pod' };
export const DEPLOYMENT: ReviewedResource = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' };
export const JOB: ReviewedResource = { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job' };
