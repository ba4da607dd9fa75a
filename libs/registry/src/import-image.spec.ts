import { chooseListEntry } from './import-image';
import type { ManifestDescriptor } from './manifest.types';

const entry = (architecture: string, os = 'linux', variant?: string): ManifestDescriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${architecture}${variant ?? ''}`,
  size: 1,
  platform: { architecture, os, ...(variant ? { variant } : {}) },
});

describe('chooseListEntry (Legacy import of a list)', () => {
  const list = [entry('arm64', 'linux', 'v8'), entry('amd64'), entry('s390x')];

  it('prefers the asked-for platform, then linux/amd64, then the first entry', () => {
    expect(chooseListEntry(list, { os: 'linux', architecture: 's390x' })?.digest).toBe('sha256:s390x');
    expect(chooseListEntry(list, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest).toBe('sha256:arm64v8');
    expect(chooseListEntry(list, { os: 'windows', architecture: 'amd64' })?.digest).toBe('sha256:amd64');
    expect(chooseListEntry([entry('arm64'), entry('ppc64le')], { os: 'linux', architecture: 'riscv64' })?.digest).toBe('sha256:arm64');
    expect(chooseListEntry([])).toBeUndefined();
  });
});
