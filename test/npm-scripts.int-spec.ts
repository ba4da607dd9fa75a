import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase } from '@app/testing';
import { pollUntil } from './support/poll';
import { deleteQueueKeys } from './support/queue-keys';

const root = join(__dirname, '..');

/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The README's way to run the service without Docker is `npm start` (or `start:api` /
 * `start:worker`), and what stops it is a SIGTERM to that npm process (a process supervisor, a test
 * harness, `kill <pid>`). npm forwards the signal to the script's shell; the shell must not stand
 * between npm and the server, or the server is orphaned and keeps its port and queues.
 */
describe('npm start scripts stop with their npm process', () => {
  let database: { url: string; drop(): Promise<void> };
  const started: ChildProcess[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    // Whatever a failed case left behind (an orphaned server) is in the group the case started.
    for (const child of started) {
      if (child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    }
    await database?.drop();
    // The queues each case's server made under its own prefixes.
    await deleteQueueKeys(prefixes);
  });

  async function runUntilReady(script: string, ready: (output: string) => Promise<boolean>) {
    const id = randomBytes(4).toString('hex');
    prefixes.push(`npmscripts${id}`, `npmscriptst${id}`);
    const child = spawn('npm', ['run', script], {
      cwd: root,
      // A group of its own, so the case can see (and clean up) every process the script started.
      detached: true,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        // The OS picks the port and the server's log says which: a port picked here and handed
        // over could be taken by another test's server first, and /livez would answer from there.
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        QUEUE_PREFIX: `npmscripts${id}`,
        TRIGGER_QUEUE_PREFIX: `npmscriptst${id}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const up = await pollUntil(() => ready(output), (ok) => ok || child.exitCode !== null, 150000);
    if (!up) throw new Error(`npm run ${script} did not start: ${output.slice(-2000)}`);
    return { child, exited, output: () => output };
  }

  /** The address the api logged when it started listening (Fastify's "Server listening at" line). */
  function listeningUrl(output: string): string | undefined {
    return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  }

  async function listening(url: string | undefined): Promise<boolean> {
    if (url === undefined) return false;
    try {
      return (await fetch(`${url}/livez`)).ok;
    } catch {
      return false;
    }
  }

  it.each(['start', 'start:api'])(
    'npm run %s: a SIGTERM to npm shuts the server down gracefully (exit 0, port closed, nothing left running)',
    async (script) => {
      const run = await runUntilReady(script, (output) => listening(listeningUrl(output)));
      const pid = run.child.pid as number;
      process.kill(pid, 'SIGTERM');
      const code = await run.exited;
      // The process's last output on failure (an exit 1 once seen in CI was, most likely, a server that
      // could not listen on a port picked for it and taken meanwhile: the OS picks it now).
      expect(code === 0 ? 0 : `exit ${code}: ${run.output().slice(-3000)}`).toBe(0);
      expect(await pollUntil(async () => groupAlive(pid), (alive) => !alive, 15000)).toBe(false);
      expect(await listening(listeningUrl(run.output()))).toBe(false);
    },
    200000,
  );

  it(
    'npm run start:worker: a SIGTERM to npm stops the worker (exit 0, nothing left running)',
    async () => {
      const run = await runUntilReady('start:worker', async (output) => output.includes('WorkerModule dependencies initialized'));
      const pid = run.child.pid as number;
      process.kill(pid, 'SIGTERM');
      const code = await run.exited;
      // The process's last output on failure (an exit 1 once seen in CI was, most likely, a server that
      // could not listen on a port picked for it and taken meanwhile: the OS picks it now).
      expect(code === 0 ? 0 : `exit ${code}: ${run.output().slice(-3000)}`).toBe(0);
      expect(await pollUntil(async () => groupAlive(pid), (alive) => !alive, 15000)).toBe(false);
    },
    200000,
  );
});
