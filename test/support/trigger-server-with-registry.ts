import { randomBytes } from 'node:crypto';
import { reserveLoopbackPort } from './free-port';
import { type RunningRegistry, startRegistry } from './registry';
import { startTriggerServer, type TriggerServer } from './trigger-server';

/** A trigger server (api with its worker) and a real docker-registry that notifies it of pushes. */
export interface TriggerServerWithRegistry {
  server: TriggerServer;
  registry: RunningRegistry;
  /** The secret the registry's notifications carry (for a test that posts events of its own). */
  notifySecret: string;
  /** Stops the registry, then the server (dropping its database). */
  close(): Promise<void>;
}

/**
 * Starts both, wired to each other: the registry's port is chosen first, because the api must know
 * the registry's URL (the worker reads manifests from it) and the registry the api's (it notifies
 * it), with a shared notification secret of its own. `env` adds to the server's environment.
 */
export async function startTriggerServerWithRegistry(env: Record<string, string> = {}): Promise<TriggerServerWithRegistry> {
  // Held from here on (reserveLoopbackPort): the api boots in between, and another test's server
  // must not take the port meanwhile.
  const registryPort = await reserveLoopbackPort();
  const notifySecret = randomBytes(12).toString('hex');
  let server: TriggerServer | undefined;
  try {
    server = await startTriggerServer({ REGISTRY_URL: `http://127.0.0.1:${registryPort.port}`, REGISTRY_NOTIFY_SECRET: notifySecret, ...env });
    const registry = await startRegistry({
      port: registryPort.port,
      notifyUrl: `${server.url}/registry/notifications`,
      notifyHeaders: { Authorization: `Bearer ${notifySecret}` },
      logLevel: 'warn',
    });
    const started = server;
    return {
      server: started,
      registry,
      notifySecret,
      async close() {
        await registry.stop();
        await started.close();
        registryPort.release();
      },
    };
  } catch (err) {
    await server?.close();
    registryPort.release();
    throw err;
  }
}
