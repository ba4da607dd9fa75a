import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandRun, runCommand } from './run-command';

/** Is a kubectl client on PATH (tests that drive it are skipped, with the reason, when not)? */
export const kubectlFound = spawnSync('kubectl', ['version', '--client', '--output=json'], { encoding: 'utf8' }).status === 0;

export type KubectlRun = CommandRun;

/** Runs kubectl with `dir/kubeconfig` and its own cache and HOME under `dir` (plus `env`, e.g. KUBE_EDITOR). */
export function runKubectl(dir: string, args: string[], input?: string, env: Record<string, string> = {}): Promise<KubectlRun> {
  return runCommand('kubectl', [`--cache-dir=${join(dir, 'cache')}`, ...args], { ...process.env, ...env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir }, input);
}

/** A scratch directory with a kubeconfig for the server at `url`, and kubectl run against it. */
export interface KubectlWorkspace {
  dir: string;
  run(args: string[], input?: string, env?: Record<string, string>): Promise<KubectlRun>;
  /** Runs kubectl and returns its stdout; a non-zero exit throws with its stderr. */
  ok(args: string[], input?: string): Promise<string>;
  /** Writes `text` to a file of the workspace and returns its path (for `-f`). */
  write(name: string, text: string): string;
  remove(): void;
}

/** A scratch directory with a kubeconfig for the server at `url` (default namespace `namespace`); remove it when done. */
export function kubectlWorkspace(url: string, namespace?: string): KubectlWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'isd-kubectl-'));
  const context = namespace ? `{cluster: t, user: t, namespace: ${namespace}}` : '{cluster: t, user: t}';
  writeFileSync(
    join(dir, 'kubeconfig'),
    `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${url}"}}]\nusers: [{name: t, user: {token: x}}]\ncontexts: [{name: t, context: ${context}}]\ncurrent-context: t\n`,
  );
  const run = (args: string[], input?: string, env?: Record<string, string>) => runKubectl(dir, args, input, env);
  return {
    dir,
    run,
    async ok(args, input) {
      const result = await run(args, input);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    },
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
