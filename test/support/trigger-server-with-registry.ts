import { randomBytes } from 'node:crypto';
import { freeLoopbackPort, type RunningRegistry, startRegistry } from './registry';
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
  // The registry's port is free when chosen but the api starts in between: another process may
  // take it meanwhile (seen under a loaded full suite), and then both start again on a new port.
  for (let attempt = 1; ; attempt++) {
    const registryPort = await freeLoopbackPort();
    const notifySecret = randomBytes(12).toString('hex');
    const server = await startTriggerServer({ REGISTRY_URL: `http://127.0.0.1:${registryPort}`, REGISTRY_NOTIFY_SECRET: notifySecret, ...env });
    let registry: RunningRegistry;
    try {
      registry = await startRegistry({
        port: registryPort,
        notifyUrl: `${server.url}/registry/notifications`,
        notifyHeaders: { Authorization: `Bearer ${notifySecret}` },
        logLevel: 'warn',
      });
    } catch (err) {
      await server.close();
      if (attempt < 3 && err instanceof Error && /address already in use/.test(err.message)) continue;
      throw err;
    }
    return {
      server,
      registry,
      notifySecret,
      async close() {
        await registry.stop();
        await server.close();
      },
    };
  }
}
