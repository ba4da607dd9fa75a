import 'reflect-metadata';
import { installRedisRejectionGuard } from '@app/queue-contracts';
import { announceListening } from './listening-announcement';
import { exitOnSignals } from './shutdown';
import { loadStartupConfig } from './startup-config';

/** `npm run start:api`, and `npm start` (`--with-worker`: api and worker in one process). */
async function main(): Promise<void> {
  const config = loadStartupConfig();
  installRedisRejectionGuard(config.redisUrl, (message) => console.warn(message));
  // Loaded once the configuration is known to be good (see loadStartupConfig).
  const { bootstrapApi } = await import('./bootstrap');
  const api = await bootstrapApi(config);
  announceListening('api', api.url);
  const closers = [() => api.close()];
  // Installed as soon as the api listens: a SIGTERM while the worker below is still starting is a
  // graceful shutdown too, not Node's default (an exit by signal, in-flight requests cut off).
  const signals = exitOnSignals(closers, config.shutdownGraceSeconds);
  if (process.argv.includes('--with-worker')) {
    const { bootstrapWorker } = await import('../../worker/src/bootstrap');
    try {
      // A signal during the worker's start waits for it and then closes it with the api.
      await signals.starting(bootstrapWorker(config));
    } catch (e) {
      // A start cut short by the shutdown is not a failure: the shutdown decides the exit code.
      if (!signals.closing) throw e;
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
