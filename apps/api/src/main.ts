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
  const closers = [() => api.close()];
  // Installed as soon as the api listens, and before it says so: Node only handles a signal once a
  // listener exists, so a supervisor's SIGTERM right after the announcement killed the process by
  // signal. A SIGTERM while the worker below is still starting is a graceful shutdown too.
  const signals = exitOnSignals(closers, config.shutdownGraceSeconds, { seconds: config.shutdownDelaySeconds, onSignal: () => api.signalShutdown() });
  announceListening('api', api.url);
  if (process.argv.includes('--with-worker')) {
    try {
      // A signal during the worker's start (its module's loading included) waits for it and then
      // closes it with the api; registered at once, so no signal finds the start unregistered.
      await signals.starting(import('../../worker/src/bootstrap').then(({ bootstrapWorker }) => bootstrapWorker(config)));
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
