import { execFile } from 'node:child_process';

export interface SkopeoCopyOptions {
  /** Copy every platform of an index (`--all`); without it skopeo picks one platform. */
  all?: boolean;
  /** Convert manifests: `v2s2` = Docker schema2 / manifest list, `oci` = OCI. Default: keep as built. */
  format?: 'v2s2' | 'oci';
  /** `user:password` for the destination registry. */
  destCreds?: string;
  timeoutMs?: number;
}

/**
 * `skopeo copy oci:<layoutDir>:<ref> docker://<destination>` over plain HTTP.
 * `destination` is `host:port/repo:tag` (a `docker://` prefix is added when missing).
 * `--insecure-policy` keeps the test independent of the host's /etc/containers/policy.json.
 */
export async function skopeoCopy(
  layoutDir: string,
  ref: string,
  destination: string,
  options: SkopeoCopyOptions = {},
): Promise<void> {
  const args = ['--insecure-policy', 'copy', '--dest-tls-verify=false'];
  if (options.all) args.push('--all');
  if (options.format) args.push('--format', options.format);
  if (options.destCreds) args.push('--dest-creds', options.destCreds);
  args.push(`oci:${layoutDir}:${ref}`, destination.includes('://') ? destination : `docker://${destination}`);
  await run('skopeo', args, options.timeoutMs ?? 30_000);
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Runs `skopeo --insecure-policy <args>` (for inspect, delete and copies `skopeoCopy` does not cover); resolves with stdout. */
export function skopeo(args: string[], timeoutMs = 30_000): Promise<string> {
  return run('skopeo', ['--insecure-policy', ...args], timeoutMs);
}
