import { parseQuantity } from '@app/api-machinery';
import type { ImageStream } from '../imagestream/imagestream.types';
import { specReference, specReferences, streamLimitProblems, streamLimitsOf } from './stream-limits';

describe('image stream usage (openshift-apiserver limitrange/usage.go)', () => {
  it.each([
    [{ kind: 'ImageStreamTag', name: 'ruby:3.1' }, 'demo/ruby:3.1'],
    [{ kind: 'ImageStreamTag', name: 'ruby:3.1', namespace: 'other' }, 'other/ruby:3.1'],
    [{ kind: 'ImageStreamTag', name: 'ruby' }, null],
    [{ kind: 'DockerImage', name: 'nginx' }, 'nginx:latest'],
    [{ kind: 'DockerImage', name: 'docker.io/library/nginx:1' }, 'nginx:1'],
    [
      { kind: 'DockerImage', name: 'quay.io/org/app@sha256:' + 'a'.repeat(64) },
      'quay.io/org/app@sha256:' + 'a'.repeat(64),
    ],
    [
      { kind: 'ImageStreamImage', name: 'ruby@sha256:' + 'b'.repeat(64) },
      'demo/ruby@sha256:' + 'b'.repeat(64),
    ],
    [{ kind: 'ImageStreamImage', name: 'ruby' }, null],
  ])('%j counts as %p', (from, expected) => {
    expect(specReference('demo', from)).toBe(expected);
  });

  it('counts distinct references', () => {
    const stream = {
      metadata: { name: 's', namespace: 'demo' },
      spec: {
        tags: [
          { name: 'a', from: { kind: 'DockerImage', name: 'nginx' } },
          { name: 'b', from: { kind: 'DockerImage', name: 'docker.io/nginx:latest' } },
          { name: 'c' },
        ],
      },
    } as unknown as ImageStream;
    expect([...specReferences(stream)]).toEqual(['nginx:latest']);
  });
});

describe('VerifyLimits', () => {
  const limits = streamLimitsOf([
    {
      metadata: {},
      spec: {
        limits: [
          {
            type: 'openshift.io/ImageStream',
            max: { 'openshift.io/images': '3', 'openshift.io/image-tags': '2' },
          },
        ],
      },
    },
    {
      metadata: {},
      spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '2' } }] },
    },
  ])!;
  const set = (...v: string[]) => new Set(v);

  it('takes the smallest max of every LimitRange', () => {
    expect(limits['openshift.io/images']).toEqual(parseQuantity('2'));
  });
  it('tolerates pre-existing violations when nothing grew', () => {
    expect(
      streamLimitProblems(
        limits,
        { before: set('a', 'b', 'c'), after: set('a', 'b') },
        { before: 5, after: 5 },
      ),
    ).toEqual([]);
  });
  it('checks every count once a reference is new, even at the same size', () => {
    expect(
      streamLimitProblems(
        limits,
        { before: set('a', 'b', 'c'), after: set('a', 'b', 'd') },
        { before: 5, after: 5 },
      ),
    ).toEqual([
      'requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (5 > 2)',
      'requested usage of openshift.io/image-tags exceeds the maximum limit per openshift.io/ImageStream (3 > 2)',
    ]);
  });
  it('a new image over the limit', () => {
    expect(
      streamLimitProblems(limits, { before: set(), after: set() }, { before: 2, after: 3, added: true }),
    ).toEqual([
      'requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (3 > 2)',
    ]);
  });
});
