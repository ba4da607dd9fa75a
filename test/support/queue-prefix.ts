import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where this test run lists the queue prefixes its files used (ISD_TEST_RUN: set by globalSetup). */
function registryFile(run = process.env['ISD_TEST_RUN'] ?? String(process.pid)): string {
  return join(tmpdir(), `isd-test-queue-prefixes-${run}`);
}

/**
 * A Redis key prefix for one test file's queues, recorded so that globalTeardown deletes its
 * keys once every process of the run has ended (a file's own afterAll may run while a server it
 * started still writes, or not at all when the file fails).
 */
export function testQueuePrefix(kind = ''): string {
  const prefix = `isdtest-${kind}${randomBytes(4).toString('hex')}`;
  appendFileSync(registryFile(), `${prefix}\n`);
  return prefix;
}

/** The prefixes recorded in this run (and forgets them). */
export function takeRecordedQueuePrefixes(run: string): string[] {
  const file = registryFile(run);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  rmSync(file, { force: true });
  return [...new Set(text.split('\n').filter(Boolean))];
}
