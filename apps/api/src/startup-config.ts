import { type AppConfig, loadConfig, loadImportConfig, loadTriggerConfig } from '@app/config';

/**
 * Every setting the processes read, validated before their modules load. Some modules read
 * theirs as they load (the trigger workers' BullMQ options are fixed at decoration time), and a
 * bad value there would otherwise surface as an uncaught error with a stack trace, or through
 * Nest's exception logger, instead of the one-line `invalid configuration: …` that main prints.
 */
export function loadStartupConfig(): AppConfig {
  const config = loadConfig();
  loadTriggerConfig();
  loadImportConfig(config);
  return config;
}
