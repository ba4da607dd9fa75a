import { loadConfig } from '@app/config';
import { prepareDatabase } from '@app/persistence';

/** `npm run migration:run`: creates the database if missing and applies pending migrations. */
async function main(): Promise<void> {
  const config = loadConfig();
  const ds = await prepareDatabase(config.databaseUrl, 2);
  await ds.destroy();
  console.log('migrations applied');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
