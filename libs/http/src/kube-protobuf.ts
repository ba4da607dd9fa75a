import { ApiError } from '@app/api-machinery';
import { type Namespace, Root, type Type } from 'protobufjs';
import { addWorkloadTypes } from './kube-protobuf-workloads';
import { protoMessage } from './proto-message';

/**
 * Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), which
 * kubectl's typed clients send for built-in kinds: `kubectl create namespace` posts a Namespace,
 * `kubectl delete` may send DeleteOptions. The envelope is the magic `k8s\0` then a
 * runtime.Unknown (typeMeta, raw); the kinds decoded here are the core ones this server serves
 * (and the self-subject reviews `kubectl auth can-i` and `kubectl auth whoami` post).
 * Field numbers are those of k8s.io/apimachinery and k8s.io/api `generated.proto`.
 */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function kubeTypes(): Root {
  const message = protoMessage;
  return new Root()
    .define('k8s')
    .add(message('TypeMeta', [['apiVersion', 1, 'string'], ['kind', 2, 'string']]))
    .add(message('Unknown', [['typeMeta', 1, 'TypeMeta'], ['raw', 2, 'bytes'], ['contentEncoding', 3, 'string'], ['contentType', 4, 'string']]))
    .add(
      message(
        'ObjectMeta',
        [
          ['name', 1, 'string'],
          ['generateName', 2, 'string'],
          ['namespace', 3, 'string'],
          ['uid', 5, 'string'],
          ['resourceVersion', 6, 'string'],
          ['finalizers', 14, 'string', 'repeated'],
        ],
        { stringMaps: [['labels', 11], ['annotations', 12]] },
      ),
    )
    .add(message('NamespaceSpec', [['finalizers', 1, 'string', 'repeated']]))
    // resource.Quantity is a message holding its text; maps of them are ResourceLists.
    .add(message('Quantity', [['string', 1, 'string']]))
    .add(message('ScopedResourceSelectorRequirement', [['scopeName', 1, 'string'], ['operator', 2, 'string'], ['values', 3, 'string', 'repeated']]))
    .add(message('ScopeSelector', [['matchExpressions', 1, 'ScopedResourceSelectorRequirement', 'repeated']]))
    .add(
      message('ResourceQuotaSpec', [['scopes', 2, 'string', 'repeated'], ['scopeSelector', 3, 'ScopeSelector']], { quantityMaps: [['hard', 1]] }),
    )
    .add(message('ResourceQuota', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'ResourceQuotaSpec']]))
    .add(
      message('LimitRangeItem', [['type', 1, 'string']], {
        quantityMaps: [['max', 2], ['min', 3], ['default', 4], ['defaultRequest', 5], ['maxLimitRequestRatio', 6]],
      }),
    )
    .add(message('LimitRangeSpec', [['limits', 1, 'LimitRangeItem', 'repeated']]))
    .add(message('LimitRange', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'LimitRangeSpec']]))
    .add(message('Namespace', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'NamespaceSpec']]))
    // `kubectl create secret` posts one.
    .add(message('Secret', [['metadata', 1, 'ObjectMeta'], ['type', 3, 'string'], ['immutable', 5, 'bool']], { bytesMaps: [['data', 2]], stringMaps: [['stringData', 4]] }))
    .add(
      message('ResourceAttributes', [
        ['namespace', 1, 'string'],
        ['verb', 2, 'string'],
        ['group', 3, 'string'],
        ['version', 4, 'string'],
        ['resource', 5, 'string'],
        ['subresource', 6, 'string'],
        ['name', 7, 'string'],
      ]),
    )
    .add(message('NonResourceAttributes', [['path', 1, 'string'], ['verb', 2, 'string']]))
    .add(message('SelfSubjectAccessReviewSpec', [['resourceAttributes', 1, 'ResourceAttributes'], ['nonResourceAttributes', 2, 'NonResourceAttributes']]))
    .add(message('SelfSubjectAccessReview', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'SelfSubjectAccessReviewSpec']]))
    .add(message('SelfSubjectRulesReviewSpec', [['namespace', 1, 'string']]))
    .add(message('SelfSubjectRulesReview', [['metadata', 1, 'ObjectMeta'], ['spec', 2, 'SelfSubjectRulesReviewSpec']]))
    // kubectl auth whoami posts an empty one: only its metadata could be set.
    .add(message('SelfSubjectReview', [['metadata', 1, 'ObjectMeta']]))
    .add(message('Preconditions', [['uid', 1, 'string'], ['resourceVersion', 2, 'string']]))
    .add(
      message('DeleteOptions', [
        ['gracePeriodSeconds', 1, 'int64'],
        ['preconditions', 2, 'Preconditions'],
        ['orphanDependents', 3, 'bool'],
        ['propagationPolicy', 4, 'string'],
        ['dryRun', 5, 'string', 'repeated'],
      ]),
    ).root;
}

const root = kubeTypes();
const workloadTypes = addWorkloadTypes(root.lookup('k8s') as Namespace);
const Unknown = root.lookupType('k8s.Unknown');
const decodable: Record<string, Type> = {
  ...Object.fromEntries(Object.entries(workloadTypes).map(([key, type]) => [key, root.lookupType(type)])),
  'v1/Namespace': root.lookupType('k8s.Namespace'),
  'v1/ResourceQuota': root.lookupType('k8s.ResourceQuota'),
  'v1/LimitRange': root.lookupType('k8s.LimitRange'),
  'v1/Secret': root.lookupType('k8s.Secret'),
  'v1/DeleteOptions': root.lookupType('k8s.DeleteOptions'),
  'meta.k8s.io/v1/DeleteOptions': root.lookupType('k8s.DeleteOptions'),
  'authorization.k8s.io/v1/SelfSubjectAccessReview': root.lookupType('k8s.SelfSubjectAccessReview'),
  'authorization.k8s.io/v1/SelfSubjectRulesReview': root.lookupType('k8s.SelfSubjectRulesReview'),
  'authentication.k8s.io/v1/SelfSubjectReview': root.lookupType('k8s.SelfSubjectReview'),
};

/**
 * Go writes every non-pointer field, empty or not; the JSON form omits empty strings, lists and
 * maps (omitempty), as the server would have received them as JSON.
 */
function withoutEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? v.map(withoutEmpty) : undefined;
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const kept = withoutEmpty(x);
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === '' ? undefined : v;
}

/** Decoded resource.Quantity messages (`{string: "2"}`) of a ResourceList, as their JSON form: the text. */
function quantityTexts(list: unknown): unknown {
  if (typeof list !== 'object' || list === null) return list;
  return Object.fromEntries(Object.entries(list).map(([k, q]) => [k, (q as { string?: string }).string ?? '0']));
}

/** The ResourceLists of the quota kinds, in their JSON form. */
function flattenQuantities(kind: string, body: Record<string, unknown>): void {
  const spec = body['spec'] as Record<string, unknown> | undefined;
  if (!spec) return;
  if (kind === 'ResourceQuota' && spec['hard']) spec['hard'] = quantityTexts(spec['hard']);
  if (kind === 'LimitRange') {
    for (const item of (spec['limits'] as Record<string, unknown>[] | undefined) ?? []) {
      for (const list of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) if (item[list]) item[list] = quantityTexts(item[list]);
    }
  }
}

/** map<string, bytes> values as base64 text, as encoding/json writes []byte. */
function secretDataTexts(data: unknown): Record<string, string> | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const entries = Object.entries(data as Record<string, Uint8Array>);
  return entries.length ? Object.fromEntries(entries.map(([k, v]) => [k, Buffer.from(v).toString('base64')])) : undefined;
}

/** The JSON form of a protobuf body; 400 when it is not one, 415 for a kind this server does not decode. */
export function decodeKubernetesProtobuf(raw: Buffer): Record<string, unknown> {
  if (raw.length < MAGIC.length || !raw.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw ApiError.badRequest('the protobuf body does not start with the Kubernetes magic number');
  }
  let envelope: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
  try {
    envelope = Unknown.toObject(Unknown.decode(raw.subarray(MAGIC.length)));
  } catch (e) {
    throw ApiError.badRequest(`the protobuf body cannot be decoded: ${(e as Error).message}`);
  }
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  const type = decodable[`${apiVersion}/${kind}`];
  if (!type) {
    throw new ApiError(415, 'UnsupportedMediaType', `protobuf bodies are accepted for Namespace, ResourceQuota, LimitRange, Secret, DeleteOptions, self-subject reviews and the workload kinds only (got ${apiVersion} ${kind}); send application/json`);
  }
  try {
    const body = type.toObject(type.decode(envelope.raw ?? new Uint8Array()), { longs: Number, defaults: false }) as Record<string, unknown>;
    flattenQuantities(kind, body);
    // A Secret's data as its JSON form, base64 (an empty value stays: `""` is a value).
    const data = kind === 'Secret' ? secretDataTexts(body['data']) : undefined;
    return { apiVersion, kind, ...(withoutEmpty(body) as Record<string, unknown>), ...(data ? { data } : {}) };
  } catch (e) {
    throw ApiError.badRequest(`the protobuf ${kind} cannot be decoded: ${(e as Error).message}`);
  }
}
