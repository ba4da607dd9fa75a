import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Kernel clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat's times on Linux. */
const ticksPerSecond = 100;

/** utime + stime of a process, in seconds; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Node arguments that run a checkout's api through ts-node. */
export function tsNodeApiArgs(root: string): string[] {
  return [
    '-r',
    'ts-node/register/transpile-only',
    '-r',
    'tsconfig-paths/register',
    join(root, 'apps', 'api', 'src', 'main.ts'),
  ];
}

/**
 * Starts the api of the checkout at `root` (`mainArgs`: how Node runs it) on `port`, quiet, with
 * BENCH_NODE_ARGS before and `extraArgs` after its main module: one process whose CPU a benchmark
 * can read from /proc.
 */
export function startBenchApi(
  root: string,
  databaseUrl: string,
  port: number,
  mainArgs: string[],
  extraArgs: string[] = [],
): ChildProcess {
  return spawn(
    process.execPath,
    [...(process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean), ...mainArgs, ...extraArgs],
    {
      cwd: root,
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(root, 'tsconfig.json'),
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DB_POOL_SIZE: '20',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

/** Resolves once the api answers /livez (two minutes at most: a first start migrates its database). */
export async function waitBenchApiReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('api exited early');
    try {
      if ((await fetch(`${url}/livez`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('api did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
}
