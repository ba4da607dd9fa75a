import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ListeningAnnouncement } from '../../apps/api/src/listening-announcement';
import { appMainArgs } from './app-build';

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote so far (its JSON log lines on stdout, and stderr). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = join(__dirname, '..', '..');

/**
 * Runs `apps/api/src/main.ts` as its own OS process (a second replica, or a server to kill) on a
 * port the OS picks (PORT=0); resolves once the process announces where it listens.
 */
export async function startApiProcess(env: Record<string, string>, args: string[] = [], nodeArgs: string[] = []): Promise<ApiProcess> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...appMainArgs('api'), ...args],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    output += d.toString();
  });
  let url: string;
  try {
    url = await announcedUrl(child, 'api', () => stderr);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') => stopChild(child, signal),
  };
}

/**
 * The URL `child` announces over IPC once its `server` listens (apps/api/src/listening-announcement.ts).
 * The port comes from the child itself: a port picked here, closed and handed over could be taken
 * by another test's server in between, and a health check would then pass against that one (the
 * child failing to listen, every request of the test going to someone else's database).
 */
function announcedUrl(child: ChildProcess, server: ListeningAnnouncement['server'], stderr: () => string, timeoutMs = 60000): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: unknown) => {
      const a = m as Partial<ListeningAnnouncement> | null;
      if (a?.kind !== 'listening' || a.server !== server || typeof a.url !== 'string') return;
      done();
      resolve(a.url);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done();
      reject(new Error(`${server} process exited early (${signal ?? code}): ${stderr()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${server} process did not listen within ${timeoutMs} ms: ${stderr()}`));
    }, timeoutMs);
    // A worker's wait must not hold the test process open on its own.
    timer.unref();
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export interface WorkerProcessHandle {
  child: ChildProcess;
  /**
   * URL of the worker's /metrics and /livez, once it listens: started with WORKER_METRICS_PORT=0,
   * the worker announces the port the OS gave it.
   */
  metricsUrl(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `apps/worker/src/main.ts` as its own OS process (deployments run api and worker apart). */
export function startWorkerProcess(env: Record<string, string>): WorkerProcessHandle {
  const child = spawn(process.execPath, appMainArgs('worker'), {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Listened for from the start: the announcement may come before anyone asks for it.
  const metricsUrl = env['WORKER_METRICS_PORT']
    ? announcedUrl(child, 'worker-metrics', () => stderr)
    : Promise.reject(new Error('the worker serves no metrics: WORKER_METRICS_PORT is not set'));
  metricsUrl.catch(() => undefined);
  return {
    child,
    metricsUrl: () => metricsUrl,
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
