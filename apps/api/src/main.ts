import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { bootstrapApi } from './bootstrap';

/** `npm run start:api` (and `npm start`, which also runs the worker in this process). */
async function main(): Promise<void> {
  const config = loadConfig();
  const withWorker = process.argv.includes('--with-worker');
  const api = await bootstrapApi(config);
  if (withWorker) {
    const { bootstrapWorker } = await import('../../worker/src/bootstrap');
    const worker = await bootstrapWorker(config);
    api.app.enableShutdownHooks();
    process.once('SIGTERM', () => void worker.close());
    process.once('SIGINT', () => void worker.close());
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
