import { installRedisRejectionGuard } from '@app/queue-contracts';
import { announceListening } from '../../api/src/listening-announcement';
import { exitOnSignals } from '../../api/src/shutdown';
import { loadStartupConfig } from '../../api/src/startup-config';

/** `npm run start:worker`: the worker alone; with WORKER_METRICS_PORT it serves /metrics and /livez. */
async function main(): Promise<void> {
  const config = loadStartupConfig();
  installRedisRejectionGuard(config.redisUrl, (message) => console.warn(message));
  // Loaded once the configuration is known to be good (see loadStartupConfig).
  const { bootstrapWorker } = await import('./bootstrap');
  const { startWorkerMetricsServer } = await import('./metrics-server');
  const worker = await bootstrapWorker(config);
  const metrics = config.workerMetricsPort === undefined ? undefined : await startWorkerMetricsServer(config, config.workerMetricsPort);
  // Handlers first: Node only handles a signal once a listener exists (see apps/api/src/main.ts).
  exitOnSignals([async () => metrics?.close(), () => worker.close()], config.shutdownGraceSeconds);
  if (metrics) announceListening('worker-metrics', metrics.url);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
