import { JSON_PATCH, STRATEGIC_MERGE_PATCH } from './cloudevent';
import { targetPatch } from './target-patch';
import type { TriggerSpec, Workload } from './trigger.types';

const NEW = 'quay.io/demo/web@sha256:' + 'e'.repeat(64);
const OLD = 'quay.io/demo/web@sha256:' + 'a'.repeat(64);
const target = (t: Partial<TriggerSpec['target']>): TriggerSpec['target'] => ({ kind: 'Deployment', name: 'web', ...t });
const stored = (containers: { name: string; image?: string }[]): Workload => ({
  metadata: { name: 'web', namespace: 'demo' },
  spec: { template: { spec: { containers } } },
});

describe('Trigger target patch', () => {
  it.each([
    [
      'unstored workload, containerNames → strategic-merge patch by name',
      target({ containerNames: ['app', 'app', 'side'] }),
      null,
      { patchType: STRATEGIC_MERGE_PATCH, patch: { spec: { template: { spec: { containers: [{ name: 'app', image: NEW }, { name: 'side', image: NEW }] } } } } },
    ],
    [
      'unstored workload, fieldPath with an index → JSON patch at that path',
      target({ fieldPath: 'spec.template.spec.containers[0].image' }),
      null,
      { patchType: JSON_PATCH, patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: NEW }] },
    ],
    [
      'unstored workload, fieldPath by name (initContainers) → strategic-merge patch',
      target({ fieldPath: 'spec.template.spec.initContainers[?(@.name=="init")].image' }),
      null,
      { patchType: STRATEGIC_MERGE_PATCH, patch: { spec: { template: { spec: { initContainers: [{ name: 'init', image: NEW }] } } } } },
    ],
    [
      'stored workload → JSON patch replacing the image at the container index, whatever it ran (level-driven: no test of the old image)',
      target({ containerNames: ['app'] }),
      stored([{ name: 'side', image: 'busybox' }, { name: 'app', image: OLD }]),
      { patchType: JSON_PATCH, patch: [{ op: 'replace', path: '/spec/template/spec/containers/1/image', value: NEW }] },
    ],
    [
      'stored workload already at the image → the idempotent replace, never an empty patch',
      target({ containerNames: ['app'] }),
      stored([{ name: 'app', image: NEW }]),
      { patchType: JSON_PATCH, patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: NEW }] },
    ],
    [
      'stored workload with some of the named containers → JSON patch for those it has, the others left out (as a DeploymentConfig trigger)',
      target({ containerNames: ['gone', 'app'] }),
      stored([{ name: 'side', image: 'busybox' }, { name: 'app', image: OLD }]),
      { patchType: JSON_PATCH, patch: [{ op: 'replace', path: '/spec/template/spec/containers/1/image', value: NEW }] },
    ],
    [
      'stored workload without the named container → built from the target',
      target({ containerNames: ['app'] }),
      stored([{ name: 'other', image: OLD }]),
      { patchType: STRATEGIC_MERGE_PATCH, patch: { spec: { template: { spec: { containers: [{ name: 'app', image: NEW }] } } } } },
    ],
  ])('%s', (_n, t, s, want) => {
    expect(targetPatch(t, s, NEW)).toEqual(want);
  });

  it.each([
    ['a Build target', target({ kind: 'Build', containerNames: ['app'] })],
    ['a Webhook target', target({ kind: 'Webhook', fieldPath: 'spec.template.spec.containers[0].image' })],
    ['a Deployment target naming no container', target({})],
    ['a fieldPath outside the pod spec', target({ fieldPath: 'spec.containers[0].image' })],
  ])('%s has no patch', (_n, t) => {
    expect(targetPatch(t, null, NEW)).toBeNull();
  });
});
