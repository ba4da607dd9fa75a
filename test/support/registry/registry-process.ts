/**
 * Runs a real distribution 2.8 registry (Debian's `docker-registry`) on a free loopback port with
 * a throw-away filesystem storage, for integration tests.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { type ReservedPort, reserveLoopbackPort } from '../free-port';
import { registryConfigYaml, type RegistryTokenAuth } from './registry-config';

export interface StartRegistryOptions {
  /** Webhook target; no `notifications` section when absent. */
  notifyUrl?: string;
  /** Static headers on every webhook POST (e.g. `{ Authorization: 'Bearer secret' }`). */
  notifyHeaders?: Record<string, string | string[]>;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** How long to wait for GET /v2/ to answer 200, default 10 s. */
  startTimeoutMs?: number;
  /** Listen on this loopback port (one the caller already told a server about); default a free one. */
  port?: number;
  /** Serve HTTPS with a self-signed certificate that names no host (as origin's ephemeral registry does). */
  selfSignedTls?: boolean;
  /** Bearer-token auth against a token service (then GET /v2/ answers 401 when ready). */
  tokenAuth?: RegistryTokenAuth;
}

export interface RunningRegistry {
  /** `http://127.0.0.1:<port>` (`https://` with selfSignedTls) */
  url: string;
  /** `127.0.0.1:<port>`, as used in pull specs and skopeo destinations. */
  host: string;
  port: number;
  /** Temp dir holding the config and the storage; deleted by stop(). */
  workDir: string;
  configPath: string;
  /** Recent registry log output (for failure messages). */
  logs(): string;
  /** SIGTERM (queued webhooks are lost, as in production), wait for exit, delete storage. */
  stop(): Promise<void>;
}

const MAX_LOG_CHARS = 64 * 1024;
const PORT_ATTEMPTS = 3;

export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      lastError = err;
      // Only a lost port race is worth another try.
      if (options.port !== undefined || !(err instanceof Error) || !/address already in use/.test(err.message)) throw err;
    }
  }
  throw lastError;
}

async function startOnce(options: StartRegistryOptions): Promise<RunningRegistry> {
  const workDir = await mkdtemp(join(tmpdir(), 'registry-'));
  // Held while the registry runs, so that no other test's server takes it across a restart.
  const reserved: ReservedPort | undefined = options.port === undefined ? await reserveLoopbackPort() : undefined;
  const port = options.port ?? reserved!.port;
  const configPath = join(workDir, 'config.yml');
  const tls = options.selfSignedTls ? await selfSignedCertificate(workDir) : undefined;
  await writeFile(
    configPath,
    registryConfigYaml({
      port,
      rootDirectory: join(workDir, 'data'),
      secret: randomBytes(16).toString('hex'),
      notifyUrl: options.notifyUrl,
      notifyHeaders: options.notifyHeaders,
      logLevel: options.logLevel,
      tls,
      tokenAuth: options.tokenAuth,
    }),
  );

  const child = spawn('docker-registry', ['serve', configPath], {
    cwd: workDir,
    env: registryEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-MAX_LOG_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // Settles on exit, or on a spawn failure (which emits 'error' and no 'exit').
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      append(Buffer.from(`spawn error: ${err.message}\n`));
      resolve(-1);
    });
  });
  // A crashed test run must not leave registries behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
    reserved?.release();
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, exited, options.startTimeoutMs ?? 10_000, options.tokenAuth ? 401 : 200);
  } catch (err) {
    await stop();
    throw new Error(`docker-registry did not start: ${(err as Error).message}\n${log}`);
  }
  return { url, host: `127.0.0.1:${port}`, port, workDir, configPath, logs: () => log, stop };
}

/** The parent's environment minus REGISTRY_* overrides, which would silently change the config. */
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('REGISTRY_')));
}

const execFileAsync = promisify(execFile);

/** Readiness probes only: the self-signed certificate is what the tests are about. */
const trustAnyCertificate = new Agent({ connect: { rejectUnauthorized: false } });

/** A self-signed RSA certificate without subjectAltName (openssl, as Debian ships it). */
async function selfSignedCertificate(dir: string): Promise<{ certificate: string; key: string }> {
  const certificate = join(dir, 'domain.crt');
  const key = join(dir, 'domain.key');
  await execFileAsync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificate, '-days', '1', '-subj', '/O=RedHat'], {
    timeout: 30_000,
  });
  return { certificate, key };
}

async function waitUntilReady(url: string, exited: Promise<number | null>, timeoutMs: number, readyStatus: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code ?? -1));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`process exited with ${exitCode}`);
    try {
      const res = await request(`${url}/v2/`, { signal: AbortSignal.timeout(1000), dispatcher: trustAnyCertificate });
      await res.body.dump();
      if (res.statusCode === readyStatus) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`GET ${url}/v2/ did not answer ${readyStatus} within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
