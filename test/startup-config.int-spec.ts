import { appMainArgs } from './support/app-build';
import { runCommand } from './support/run-command';

/**
 * A bad setting stops either process at once with one line naming the variable, exit code 1, as
 * README's Configuration promises: whichever module reads the variable (the trigger workers read
 * theirs as they load, image import through a Nest provider), nothing connects and no stack trace
 * or Nest exception log is printed. Real api and worker processes.
 */
describe('startup configuration errors', () => {
  // A database that cannot exist: a process that got past its configuration would fail on it instead.
  const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0' };
  const start = (app: 'api' | 'worker', env: Record<string, string>, args: string[] = []) =>
    runCommand(process.execPath, [...appMainArgs(app), ...args], { ...process.env, ...base, ...env });

  it.each([
    ['api', { TRIGGER_DELIVERY_CONCURRENCY: 'many' }, 'invalid configuration: TRIGGER_DELIVERY_CONCURRENCY must be an integer, got "many"'],
    ['api', { IMPORT_TIMEOUT_MS: '5' }, 'invalid configuration: IMPORT_TIMEOUT_MS must be between 1000 and 600000, got 5'],
    ['api', { PORT: 'abc' }, 'invalid configuration: PORT must be an integer, got "abc"'],
    ['worker', { TRIGGER_JOB_LOCK_MS: '2000', TRIGGER_DELIVERY_TIMEOUT_MS: '5000' }, 'invalid configuration: TRIGGER_JOB_LOCK_MS must be at least twice TRIGGER_DELIVERY_TIMEOUT_MS (5000), so a delivery\'s lease outlasts its POST; got 2000'],
    ['worker', { IMPORT_DEFAULT_MODE: 'Fast' }, 'invalid configuration: IMPORT_DEFAULT_MODE must be Legacy or PreserveOriginal, got "Fast"'],
  ] as const)('%s with %j exits 1 printing one line', async (app, env, message) => {
    const run = await start(app, env);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `${message}\n` });
  });

  it('api --with-worker checks the worker`s settings before it listens', async () => {
    const run = await start('api', { TRIGGER_EVALUATION_CONCURRENCY: '0' }, ['--with-worker']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'invalid configuration: TRIGGER_EVALUATION_CONCURRENCY must be between 1 and 100, got 0\n' });
  });
});
