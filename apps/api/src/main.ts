import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { bootstrapApi } from './bootstrap';
import { exitOnSignals } from './shutdown';

/** `npm run start:api`, and `npm start` (`--with-worker`: api and worker in one process). */
async function main(): Promise<void> {
  const config = loadConfig();
  const api = await bootstrapApi(config);
  const closers = [() => api.close()];
  if (process.argv.includes('--with-worker')) {
    const { bootstrapWorker } = await import('../../worker/src/bootstrap');
    const worker = await bootstrapWorker(config);
    closers.push(() => worker.close());
  }
  exitOnSignals(closers, config.shutdownGraceSeconds);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
