import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { appMainArgs } from './app-build';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far (its JSON log lines on stdout, and stderr). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = join(__dirname, '..', '..');

/** Runs `apps/api/src/main.ts` as its own OS process (a second replica, or a server to kill). */
export async function startApiProcess(env: Record<string, string>, args: string[] = [], nodeArgs: string[] = []): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...appMainArgs('api'), ...args],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`api process exited early: ${stderr}`);
    try {
      const res = await fetch(`${url}/livez`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`api process did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') => stopChild(child, signal),
  };
}

export interface WorkerProcessHandle {
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `apps/worker/src/main.ts` as its own OS process (deployments run api and worker apart). */
export function startWorkerProcess(env: Record<string, string>): WorkerProcessHandle {
  const child = spawn(process.execPath, appMainArgs('worker'), {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return {
    child,
    stop: (signal = 'SIGTERM') => stopChild(child, signal),
  };
}

/** Signals a child process and resolves with its exit code once it has exited. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}
