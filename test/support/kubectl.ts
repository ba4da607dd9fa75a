import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Is a kubectl client on PATH (tests that drive it are skipped, with the reason, when not)? */
export const kubectlFound = spawnSync('kubectl', ['version', '--client', '--output=json'], { encoding: 'utf8' }).status === 0;

export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs kubectl with `dir/kubeconfig` and its own cache and HOME under `dir`, without blocking the
 * event loop (the server under test may live in this process).
 */
export function runKubectl(dir: string, args: string[], input?: string): Promise<KubectlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', [`--cache-dir=${join(dir, 'cache')}`, ...args], {
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A scratch directory with a kubeconfig for the server at `url` (default namespace `namespace`); remove it when done. */
export function kubectlWorkspace(url: string, namespace?: string): { dir: string; run(args: string[], input?: string): Promise<KubectlRun>; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'isd-kubectl-'));
  const context = namespace ? `{cluster: t, user: t, namespace: ${namespace}}` : '{cluster: t, user: t}';
  writeFileSync(
    join(dir, 'kubeconfig'),
    `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${url}"}}]\nusers: [{name: t, user: {token: x}}]\ncontexts: [{name: t, context: ${context}}]\ncurrent-context: t\n`,
  );
  return { dir, run: (args, input) => runKubectl(dir, args, input), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
