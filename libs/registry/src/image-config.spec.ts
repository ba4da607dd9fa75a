import { readImageConfig } from './image-config';
import { ManifestInvalidError } from './manifest-errors';

const read = (config: unknown) => readImageConfig(JSON.stringify(config));

describe('readImageConfig: docker10 DockerImageConfig as Go decodes it', () => {
  it('keeps every docker10.DockerConfig field with its type, drops fields the type lacks and empty ones', () => {
    const meta = read({
      created: '2024-05-01T10:00:00Z',
      architecture: 'arm',
      variant: 'v7',
      os: 'linux',
      config: {
        Hostname: 'h',
        Domainname: 'd',
        User: '1001:0',
        Memory: 5,
        MemorySwap: -1,
        CpuShares: 2,
        Cpuset: '0-1',
        AttachStdin: true,
        AttachStdout: false,
        AttachStderr: true,
        PortSpecs: ['80'],
        ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
        Tty: true,
        OpenStdin: true,
        StdinOnce: true,
        Env: ['A=1'],
        Cmd: ['run'],
        Dns: ['8.8.8.8'],
        Image: 'sha256:00',
        Volumes: { '/data': {} },
        VolumesFrom: 'other',
        WorkingDir: '/srv',
        Entrypoint: ['/entry'],
        NetworkDisabled: true,
        SecurityOpts: ['no-new-privileges'],
        OnBuild: ['RUN x'],
        Labels: { a: 'b' },
        // not in docker10.DockerConfig: dropped
        StopSignal: 'SIGTERM',
        ArgsEscaped: true,
        Healthcheck: { Test: ['CMD', 'true'] },
      },
      container_config: { Cmd: ['/bin/sh', '-c', '#(nop)'], Tty: false, Env: [] },
    });
    expect(meta).toEqual({
      Created: '2024-05-01T10:00:00Z',
      Architecture: 'arm',
      Variant: 'v7',
      Os: 'linux',
      ContainerConfig: { Cmd: ['/bin/sh', '-c', '#(nop)'] },
      Config: {
        Hostname: 'h',
        Domainname: 'd',
        User: '1001:0',
        Memory: 5,
        MemorySwap: -1,
        CpuShares: 2,
        Cpuset: '0-1',
        AttachStdin: true,
        AttachStderr: true,
        PortSpecs: ['80'],
        ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
        Tty: true,
        OpenStdin: true,
        StdinOnce: true,
        Env: ['A=1'],
        Cmd: ['run'],
        Dns: ['8.8.8.8'],
        Image: 'sha256:00',
        Volumes: { '/data': {} },
        VolumesFrom: 'other',
        WorkingDir: '/srv',
        Entrypoint: ['/entry'],
        NetworkDisabled: true,
        SecurityOpts: ['no-new-privileges'],
        OnBuild: ['RUN x'],
        Labels: { a: 'b' },
      },
    });
  });

  it('matches keys case-insensitively, the last match winning; null leaves a field unset', () => {
    const meta = read({
      Architecture: 'amd64',
      Created: '2024-01-02T03:04:05Z',
      config: { env: ['first=1'], ENV: ['second=2'], cmd: null, labels: { a: null } },
      author: null,
    });
    expect(meta).toEqual({
      Architecture: 'amd64',
      Created: '2024-01-02T03:04:05Z',
      ContainerConfig: {},
      Config: { Env: ['second=2'], Labels: { a: '' } },
    });
  });

  it('Created: UTC with whole seconds; Go zero time and a missing value are not set (null on the wire)', () => {
    expect(read({ created: '2024-05-01T12:00:00.987654321+02:00' }).Created).toBe('2024-05-01T10:00:00Z');
    expect(read({ created: '0001-01-01T00:00:00Z' })).not.toHaveProperty('Created');
    expect(read({ created: '0001-01-01T02:00:00+02:00' })).not.toHaveProperty('Created');
    expect(read({ created: '0001-01-01T00:00:01Z' }).Created).toBe('0001-01-01T00:00:01Z');
    expect(read({ created: '1970-01-01T00:00:00Z' }).Created).toBe('1970-01-01T00:00:00Z');
    expect(read({})).not.toHaveProperty('Created');
    expect(read({ created: null })).not.toHaveProperty('Created');
  });

  it('typed fields that give the Image nothing still decode; variant (no docker10 field) may be anything', () => {
    const meta = read({
      id: 'sha256:00',
      size: 12,
      rootfs: { type: 'layers', diff_ids: ['sha256:11', null] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'RUN x', empty_layer: true }, null, { created: null }],
      'os.version': '10.0',
      'os.features': ['win32k'],
      variant: 8,
      architecture: 'arm64',
    });
    expect(meta).toEqual({ Architecture: 'arm64', ContainerConfig: {} });
  });

  it('a JSON null config decodes to nothing, as Go does', () => {
    expect(readImageConfig('null')).toEqual({ ContainerConfig: {} });
  });

  it.each([
    ['created not RFC 3339', { created: 'yesterday' }],
    ['created with a space', { created: '2024-05-01 10:00:00Z' }],
    ['created with a lower-case t', { created: '2024-05-01t10:00:00Z' }],
    ['created on Feb 30', { created: '2024-02-30T10:00:00Z' }],
    ['created as a number', { created: 1714557600 }],
    ['architecture as a number', { architecture: 64 }],
    ['config as a list', { config: [] }],
    ['Env as a string', { config: { Env: 'A=1' } }],
    ['Memory as a string', { config: { Memory: '5' } }],
    ['Memory as a fraction', { config: { Memory: 1.5 } }],
    ['Tty as a string', { config: { Tty: 'true' } }],
    ['ExposedPorts values not objects', { config: { ExposedPorts: { '80/tcp': 1 } } }],
    ['a label that is not a string', { config: { Labels: { a: 1 } } }],
    ['size as a string', { size: '12' }],
    ['id as a number', { id: 1 }],
    ['rootfs.diff_ids as a string', { rootfs: { type: 'layers', diff_ids: 'sha256:00' } }],
    ['a history entry created that is not RFC 3339', { history: [{ created: '' }] }],
    ['a history entry empty_layer as a string', { history: [{ empty_layer: 'true' }] }],
    ['os.features as a string', { 'os.features': 'x' }],
  ])('refuses what Go would not decode: %s', (_what, config) => {
    expect(() => read(config)).toThrow(ManifestInvalidError);
  });

  it('refuses a config that is not a JSON object', () => {
    expect(() => readImageConfig('hello')).toThrow(ManifestInvalidError);
    expect(() => readImageConfig('[]')).toThrow(ManifestInvalidError);
  });
});
