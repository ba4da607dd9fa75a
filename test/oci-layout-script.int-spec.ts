import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RunningRegistry, describeWithRegistry, resolveTag, skopeo, skopeoCopy, startRegistry } from './support/registry';

const script = join(__dirname, '..', 'deploy', 'oci-layout.sh');
const run = promisify(execFile);

/** README's offline walkthroughs build their image with `deploy/oci-layout.sh`; it must push as is. */
describeWithRegistry('deploy/oci-layout.sh (an image built offline)', () => {
  let registry: RunningRegistry;
  let dir: string;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), 'oci-layout-script-'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a layout skopeo reads and pushes, with the digest it prints; each run is a new image', async () => {
    const first = (await run('bash', [script, join(dir, 'a'), 'v1'])).stdout.trim();
    const second = (await run('bash', [script, join(dir, 'b'), 'v1'])).stdout.trim();
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second).not.toBe(first);

    const inspected = JSON.parse(await skopeo(['inspect', `oci:${join(dir, 'a')}:v1`])) as { Digest: string; Os: string; Layers: string[] };
    expect(inspected).toMatchObject({ Digest: first, Os: 'linux' });
    expect(inspected.Layers).toHaveLength(1);

    await skopeoCopy(join(dir, 'a'), 'v1', `${registry.url.replace(/^http:\/\//, '')}/demo/hello:v1`);
    expect(await resolveTag(registry.url, 'demo/hello', 'v1')).toBe(first);
  });

  it('refuses to run without a directory', async () => {
    await expect(run('bash', [script])).rejects.toMatchObject({ stderr: expect.stringContaining('usage: oci-layout.sh <dir> [tag]') });
  });
});
