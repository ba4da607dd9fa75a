import { s, type Schema } from './schema';

/** A Docker container config (openshift/api image/docker10 DockerConfig), field for field with its Go types. */
const dockerConfig: Schema = {
  type: 'object',
  goType: 'docker10.DockerConfig',
  properties: {
    Hostname: s.string(''),
    Domainname: s.string(''),
    User: s.string(''),
    Memory: s.int64(''),
    MemorySwap: s.int64(''),
    CpuShares: s.int64(''),
    Cpuset: s.string(''),
    AttachStdin: s.boolean(''),
    AttachStdout: s.boolean(''),
    AttachStderr: s.boolean(''),
    PortSpecs: { type: 'array', items: { type: 'string' } },
    ExposedPorts: { type: 'object', additionalProperties: { type: 'object', goType: 'struct {}' } },
    Tty: s.boolean(''),
    OpenStdin: s.boolean(''),
    StdinOnce: s.boolean(''),
    Env: { type: 'array', items: { type: 'string' } },
    Cmd: { type: 'array', items: { type: 'string' } },
    Dns: { type: 'array', items: { type: 'string' } },
    Image: s.string(''),
    Volumes: { type: 'object', additionalProperties: { type: 'object', goType: 'struct {}' } },
    VolumesFrom: s.string(''),
    WorkingDir: s.string(''),
    Entrypoint: { type: 'array', items: { type: 'string' } },
    NetworkDisabled: s.boolean(''),
    SecurityOpts: { type: 'array', items: { type: 'string' } },
    OnBuild: { type: 'array', items: { type: 'string' } },
    Labels: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/**
 * What openshift-apiserver decodes an Image's `dockerImageMetadata` into when it converts the v1
 * object (docker10.DockerImage, version "1.0"): a value of the wrong JSON type fails that decode,
 * and the request with it (400 on create and update, 422 at `patch`). Never published: the v1
 * schema keeps the field an embedded document. Names are matched exactly (kube's decoder is
 * case-sensitive), so a "pre012" document's lower-case fields are not checked as these.
 */
export const dockerImageMetadataSchema: Schema = {
  type: 'object',
  goType: 'docker10.DockerImage',
  properties: {
    kind: s.string(''),
    apiVersion: s.string(''),
    Id: s.string(''),
    Parent: s.string(''),
    Comment: s.string(''),
    Created: s.time(''),
    Container: s.string(''),
    ContainerConfig: dockerConfig,
    DockerVersion: s.string(''),
    Author: s.string(''),
    Config: dockerConfig,
    Architecture: s.string(''),
    Size: s.int64(''),
  },
};
