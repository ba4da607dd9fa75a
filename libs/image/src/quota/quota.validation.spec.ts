import { ApiError, fieldErrorString } from '@app/api-machinery';
import { limitRangesInfo, type LimitRange, type LimitRangeItem, type ResourceQuota } from './quota.types';
import {
  canonicalizeQuantities,
  validateLimitRange,
  validateResourceQuota,
  validateResourceQuotaUpdate,
} from './quota.validation';

const lr = (limits: NonNullable<LimitRange['spec']>['limits']): LimitRange => ({
  metadata: { name: 'l', namespace: 'n' },
  spec: { limits },
});
const rq = (hard: Record<string, string>, scopes?: string[]): ResourceQuota => ({
  metadata: { name: 'q', namespace: 'n' },
  spec: { hard, ...(scopes ? { scopes } : {}) },
});

describe('LimitRange validation (ValidateLimitRange)', () => {
  it.each([
    [
      'the image types',
      [
        { type: 'openshift.io/Image', max: { storage: '1Gi' } },
        {
          type: 'openshift.io/ImageStream',
          max: { 'openshift.io/images': '3', 'openshift.io/image-tags': '2' },
        },
      ],
      [],
    ],
    [
      'an unknown unqualified type',
      [{ type: 'Image' }],
      ['spec.limits[0].type: Invalid value: "Image": must be a standard limit type or fully qualified'],
    ],
    [
      'a repeated type',
      [{ type: 'Container' }, { type: 'Container' }],
      ['spec.limits[1].type: Duplicate value: "Container"'],
    ],
    [
      'min over max',
      [{ type: 'openshift.io/Image', min: { storage: '2' }, max: { storage: '1' } }],
      ['spec.limits[0].min[storage]: Invalid value: "2": min value 2 is greater than max value 1'],
    ],
    [
      'defaults on a Pod limit',
      [{ type: 'Pod', default: { cpu: '1' } }],
      ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"],
    ],
    [
      'an unknown container resource',
      [{ type: 'Container', max: { gpu: '1' } }],
      [
        'spec.limits[0].max[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.limits[0].max[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      ],
    ],
    [
      'a PVC limit without storage',
      [{ type: 'PersistentVolumeClaim' }],
      [
        'spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
      ],
    ],
  ] as [string, LimitRangeItem[], string[]][])('%s', (_name, limits, expected) => {
    expect(validateLimitRange(lr(limits)).map(fieldErrorString)).toEqual(expected);
  });
});

describe('ResourceQuota validation (ValidateResourceQuota)', () => {
  const messages = (q: ResourceQuota) => validateResourceQuota(q).map((e) => `${e.field}: ${e.detail}`);
  it('accepts extended and standard resources', () => {
    expect(
      messages(
        rq({ 'openshift.io/imagestreams': '2', pods: '1', 'count/imagestreams.image.openshift.io': '3' }),
      ),
    ).toEqual([]);
  });
  it('refuses negative values, fractions of counted resources and unknown names', () => {
    expect(messages(rq({ 'openshift.io/imagestreams': '1500m', pods: '-1', foo: '1' }))).toEqual([
      'spec.hard[openshift.io/imagestreams]: must be an integer',
      'spec.hard[pods]: must be greater than or equal to 0',
      'spec.hard[foo]: must be a standard resource type or fully qualified',
      'spec.hard[foo]: must be a standard resource for quota',
    ]);
  });
  it('scopes are checked and immutable', () => {
    expect(messages(rq({}, ['Sometimes']))).toEqual(['spec.scopes: unsupported scope']);
    expect(validateResourceQuotaUpdate(rq({}, ['BestEffort']), rq({})).map((e) => e.detail)).toEqual([
      'field is immutable',
    ]);
  });
});

describe('quantities in a body', () => {
  it('are stored canonically; a value that is not one is a 400 decode error', () => {
    const list: Record<string, string> = { storage: '1.5Gi', n: 2 as unknown as string };
    canonicalizeQuantities(limitRangesInfo, [list]);
    expect(list).toEqual({ storage: '1536Mi', n: '2' });
    const bad = () => canonicalizeQuantities(limitRangesInfo, [{ storage: 'big' }]);
    expect(bad).toThrow(ApiError);
    expect(bad).toThrow(
      /^LimitRange in version "v1" cannot be handled as a LimitRange: quantities must match/,
    );
  });
});
