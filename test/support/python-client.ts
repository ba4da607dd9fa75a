import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '@app/config';
import { startTestApi, type TestApi } from './api-server';
import { runCommand } from './run-command';

const python = '/usr/bin/python3';

/** Why the Python kubernetes client (Debian python3-kubernetes) cannot run here, or null when it can. */
export function pythonClientUnavailableReason(): string | null {
  return spawnSync(python, ['-c', 'import kubernetes.dynamic'], { encoding: 'utf8' }).status === 0 ? null : 'python3-kubernetes is not installed';
}

/**
 * Inside a describe: a test api and a Python script that drives it with the kubernetes client.
 * The script gets argv[1] = a kubeconfig for the api, argv[2] = a discovery cache file, and
 * prints one JSON document, which `run` returns.
 */
export function pythonClientFixture(script: string, overrides: Partial<AppConfig> = {}): { api: () => TestApi; run: () => Promise<any> } {
  let api: TestApi | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    api = await startTestApi(overrides);
    dir = mkdtempSync(join(tmpdir(), 'isd-python-'));
    writeFileSync(join(dir, 'client.py'), script);
    writeFileSync(
      join(dir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${api.url}"}}]\nusers: [{name: t, user: {token: x}}]\ncontexts: [{name: t, context: {cluster: t, user: t}}]\ncurrent-context: t\n`,
    );
  });
  afterAll(async () => {
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    api: () => api!,
    async run() {
      const run = await runCommand(python, [join(dir!, 'client.py'), join(dir!, 'kubeconfig'), join(dir!, 'discovery.json')], { ...process.env, HOME: dir! });
      if (run.code !== 0) throw new Error(`python exited ${run.code}: ${run.stderr}`);
      return JSON.parse(run.stdout);
    },
  };
}
