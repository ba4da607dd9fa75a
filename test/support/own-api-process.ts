import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './api-process';
import { deleteQueueKeys } from './queue-keys';

/**
 * One api process per test file on a database and queue prefixes of its own (`tag` names the
 * prefixes): `start` runs it, and after all tests it is stopped (unless a test stopped it and said
 * so with `forget`), the database dropped and the queues' Redis keys deleted.
 */
export function ownApiProcess(tag: string) {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let api: ApiProcess | undefined;
  const prefixes = { QUEUE_PREFIX: `${tag}-${randomBytes(4).toString('hex')}`, TRIGGER_QUEUE_PREFIX: `${tag}t-${randomBytes(4).toString('hex')}` };
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await deleteQueueKeys(Object.values(prefixes));
  });
  return {
    async start(env: Record<string, string> = {}): Promise<ApiProcess> {
      api = await startApiProcess({ DATABASE_URL: db!.url, ...prefixes, ...env });
      return api;
    },
    /** The process has been stopped by the test: nothing left to stop after all. */
    forget(): void {
      api = undefined;
    },
  };
}
