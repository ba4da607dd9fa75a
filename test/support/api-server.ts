import type { AppConfig } from '@app/config';
import { createTestDatabase, testConfig } from '@app/testing';
import { bootstrapApi, type ApiServer } from '../../apps/api/src/bootstrap';

export interface TestApi {
  server: ApiServer;
  url: string;
  base: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/** Starts a real api on a random loopback port over its own cloned database. */
export async function startTestApi(overrides: Partial<AppConfig> = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const config = testConfig(db.url, overrides);
  const server = await bootstrapApi(config);
  return {
    server,
    url: server.url,
    base: `${server.url}/apis/image.openshift.io/v1`,
    databaseUrl: db.url,
    async close() {
      await server.close();
      await db.drop();
    },
  };
}
