import { loadConfig } from '@app/config';
import { exitOnSignals } from '../../api/src/shutdown';
import { bootstrapWorker } from './bootstrap';

/** `npm run start:worker`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const worker = await bootstrapWorker(config);
  exitOnSignals([() => worker.close()], config.shutdownGraceSeconds);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
