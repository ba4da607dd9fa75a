import { loadConfig } from '@app/config';
import { bootstrapWorker } from './bootstrap';

/** `npm run start:worker`. */
bootstrapWorker(loadConfig()).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
