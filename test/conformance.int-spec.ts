import { startTestApi, type TestApi } from './support/api-server';
import { describeConformance } from './support/resource-conformance';

const digestFor = (name: string) => `sha256:${Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64)}`;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ internalRegistryHostname: 'registry.local:5000' });
});
afterAll(async () => api.close());

describeConformance(
  {
    kind: 'ImageStream',
    resource: 'imagestreams',
    namespaced: true,
    invalidName: 'Bad_Name',
    newObject: (name, labels) => ({ apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name, labels }, spec: {} }),
    changeSpec: (obj) => {
      obj['spec'] = { ...obj['spec'], tags: [...(obj['spec']?.tags ?? []), { name: `t${Date.now()}`, from: { kind: 'DockerImage', name: 'quay.io/x/y:1' } }] };
    },
    status: {
      write: (obj) => {
        obj['status'] = {
          dockerImageRepository: 'ignored',
          tags: [{ tag: 'pushed', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: 'quay.io/x/y@' + digestFor('s'), image: digestFor('s'), generation: 1 }] }],
        };
      },
      read: (obj) => obj['status']?.tags ?? [],
    },
  },
  () => api,
);

describeConformance(
  {
    kind: 'Image',
    resource: 'images',
    namespaced: false,
    invalidName: 'a/b',
    nameOf: (name) => digestFor(name),
    newObject: (name, labels) => ({
      metadata: { name: name === 'a/b' ? name : name ? digestFor(name) : undefined, labels },
      dockerImageReference: `quay.io/x/y@${digestFor(name || 'gen')}`,
    }),
  },
  () => api,
);
