import { CORE, META, typeMetaFields } from './meta-schemas';
import { kindSchemas } from './kind-schemas';
import { type Schema, s } from './schema';

export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

const resourceList = (description: string): Schema => s.map(s.ref(QUANTITY), description);

const gvk = (kind: string) => [{ group: '', kind, version: 'v1' }];

const { list } = kindSchemas('', 'v1', CORE);

/** core/v1 LimitRange and ResourceQuota (k8s.io/api core/v1 types.go descriptions, abridged). */
export const quotaSchemas: Record<string, Schema> = {
  [QUANTITY]: {
    description:
      'Quantity is a fixed-point representation of a number, e.g. 2, 500m, 1Gi, 1.5e3: a signed number with an optional SI (n, u, m, k, M, G, T, P, E), binary (Ki, Mi, Gi, Ti, Pi, Ei) or exponent suffix.',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
  [`${CORE}.LimitRange`]: {
    type: 'object',
    description:
      'LimitRange sets resource usage limits for each kind of resource in a Namespace. Here `openshift.io/Image` (max storage per image) and `openshift.io/ImageStream` (max openshift.io/images and openshift.io/image-tags per stream) are enforced.',
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      spec: s.ref(`${CORE}.LimitRangeSpec`, 'Spec defines the limits enforced.'),
    },
    'x-kubernetes-group-version-kind': gvk('LimitRange'),
  },
  [`${CORE}.LimitRangeSpec`]: {
    type: 'object',
    description: 'LimitRangeSpec defines a min/max usage limit for resources that match on kind.',
    required: ['limits'],
    properties: {
      limits: s.array(
        s.ref(`${CORE}.LimitRangeItem`),
        'Limits is the list of LimitRangeItem objects that are enforced.',
        { 'x-kubernetes-list-type': 'atomic' },
      ),
    },
  },
  [`${CORE}.LimitRangeItem`]: {
    type: 'object',
    description: 'LimitRangeItem defines a min/max usage limit for any resource that matches on kind.',
    required: ['type'],
    properties: {
      type: s.string(
        'Type of resource that this limit applies to (Pod, Container, PersistentVolumeClaim, or a qualified type such as openshift.io/Image).',
      ),
      max: resourceList('Max usage constraints on this kind by resource name.'),
      min: resourceList('Min usage constraints on this kind by resource name.'),
      default: resourceList(
        'Default resource requirement limit value by resource name if resource limit is omitted.',
      ),
      defaultRequest: resourceList(
        'DefaultRequest is the default resource requirement request value by resource name if resource request is omitted.',
      ),
      maxLimitRequestRatio: resourceList(
        'MaxLimitRequestRatio if specified, the named resource must have a request and limit that are both non-zero where limit divided by request is less than or equal to the enumerated value.',
      ),
    },
  },
  [`${CORE}.LimitRangeList`]: list(
    'LimitRangeList',
    'LimitRange',
    'LimitRangeList is a list of LimitRange items.',
  ),
  [`${CORE}.ResourceQuota`]: {
    type: 'object',
    description:
      'ResourceQuota sets aggregate quota restrictions enforced per namespace. Here `openshift.io/imagestreams` (and `count/imagestreams.image.openshift.io`) is enforced.',
    properties: {
      ...typeMetaFields,
      metadata: s.ref(`${META}.ObjectMeta`, 'Standard object metadata.'),
      spec: s.ref(`${CORE}.ResourceQuotaSpec`, 'Spec defines the desired quota.'),
      status: s.ref(
        `${CORE}.ResourceQuotaStatus`,
        'Status defines the actual enforced quota and its current usage.',
      ),
    },
    'x-kubernetes-group-version-kind': gvk('ResourceQuota'),
  },
  [`${CORE}.ResourceQuotaSpec`]: {
    type: 'object',
    description: 'ResourceQuotaSpec defines the desired hard limits to enforce for Quota.',
    properties: {
      hard: resourceList('hard is the set of desired hard limits for each named resource.'),
      scopes: s.array(
        s.string(''),
        'A collection of filters that must match each object tracked by a quota.',
        { 'x-kubernetes-list-type': 'atomic' },
      ),
      scopeSelector: s.ref(
        `${CORE}.ScopeSelector`,
        'scopeSelector is also a collection of filters like scopes that must match each object tracked by a quota.',
      ),
    },
  },
  [`${CORE}.ScopeSelector`]: {
    type: 'object',
    description:
      'A scope selector represents the AND of the selectors represented by the scoped-resource selector requirements.',
    properties: {
      matchExpressions: s.array(
        s.ref(`${CORE}.ScopedResourceSelectorRequirement`),
        'A list of scope selector requirements by scope of the resources.',
        {
          'x-kubernetes-list-type': 'atomic',
        },
      ),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${CORE}.ScopedResourceSelectorRequirement`]: {
    type: 'object',
    description:
      'A scoped-resource selector requirement is a selector that contains values, a scope name, and an operator that relates the scope name and values.',
    required: ['scopeName', 'operator'],
    properties: {
      scopeName: s.string('The name of the scope that the selector applies to.'),
      operator: s.string(
        "Represents a scope's relationship to a set of values: In, NotIn, Exists, DoesNotExist.",
      ),
      values: s.array(s.string(''), 'An array of string values.', { 'x-kubernetes-list-type': 'atomic' }),
    },
  },
  [`${CORE}.ResourceQuotaStatus`]: {
    type: 'object',
    description: 'ResourceQuotaStatus defines the enforced hard limits and observed use.',
    properties: {
      hard: resourceList('Hard is the set of enforced hard limits for each named resource.'),
      used: resourceList('Used is the current observed total usage of the resource in the namespace.'),
    },
  },
  [`${CORE}.ResourceQuotaList`]: list(
    'ResourceQuotaList',
    'ResourceQuota',
    'ResourceQuotaList is a list of ResourceQuota items.',
  ),
};
