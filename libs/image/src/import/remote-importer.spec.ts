import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ImportConfig } from './import-config';
import type { ImageStreamImport } from './imagestreamimport.types';
import { RemoteImporter } from './remote-importer';

const config = (overrides: Partial<ImportConfig>): ImportConfig => ({
  requestTimeoutMs: 5000,
  importTimeoutMs: 60_000,
  maxImages: 50,
  maxRepositoryTags: 50,
  maxListChildren: 64,
  fetchConcurrency: 4,
  defaultImportMode: 'Legacy',
  registryUrl: '',
  registryUsername: '',
  registryPassword: '',
  internalRegistryHostname: '',
  relayIntervalMs: 250,
  workerConcurrency: 1,
  queuePrefix: 'x',
  scheduledIntervalSeconds: 0,
  scheduledPerMinute: 1,
  ...overrides,
});

const isi = (names: string[]): ImageStreamImport => ({
  metadata: { name: 'app' },
  spec: { import: false, images: names.map((name) => ({ from: { kind: 'DockerImage', name }, importPolicy: { insecure: true }, referencePolicy: { type: 'Source' } })) },
});

describe('RemoteImporter time budget', () => {
  let server: Server;
  let host: string;
  const requests: string[] = [];

  beforeAll(async () => {
    // A registry that accepts connections and never answers.
    server = createServer((req) => requests.push(req.url ?? ''));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails every entry still running (or not started) when the import runs out of time', async () => {
    const started = Date.now();
    const status = await new RemoteImporter(config({ importTimeoutMs: 300, fetchConcurrency: 1 })).lookup(isi([`${host}/a/b:1`, `${host}/a/c:1`]), null);
    expect(Date.now() - started).toBeLessThan(3000);
    for (const result of status.images!) {
      expect(result.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
      expect(result.status.message).toMatch(/did not finish within 0.3s/);
    }
    // The second entry never reached the registry: it was not started after the deadline.
    expect(requests.filter((u) => u.includes('/a/c/'))).toEqual([]);
  });
});
