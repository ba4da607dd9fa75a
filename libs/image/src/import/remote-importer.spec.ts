import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { digestOf, MediaTypes } from '@app/registry';
import type { ImportConfig } from '@app/config';
import type { ImageStreamImport } from './imagestreamimport.types';
import { RemoteImporter } from './remote-importer';
import { everyRepository } from './service-credentials';

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
  accessControl: false,
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
    const status = await new RemoteImporter(config({ importTimeoutMs: 300, fetchConcurrency: 1 })).lookup(isi([`${host}/a/b:1`, `${host}/a/c:1`]), null, everyRepository);
    // The registry never answers: ending at all is the point (the bound allows for a loaded machine).
    expect(Date.now() - started).toBeLessThan(20000);
    for (const result of status.images!) {
      expect(result.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
      expect(result.status.message).toMatch(/did not finish within 0.3s/);
    }
    // The second entry never reached the registry: it was not started after the deadline.
    expect(requests.filter((u) => u.includes('/a/c/'))).toEqual([]);
  });
});

describe('RemoteImporter credentials', () => {
  const config_ = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { a: 'b' } }, rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: digestOf(config_), size: config_.length },
      layers: [],
    }),
  );
  const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
  let server: Server;
  let url: string;

  /** A registry that wants Basic credentials for everything. */
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== basic) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    } else if (req.url === '/v2/ns/app/manifests/v1') {
      res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'docker-content-digest': digestOf(manifest) });
      res.end(manifest);
    } else if (req.url === `/v2/ns/app/blobs/${digestOf(config_)}`) {
      res.writeHead(200);
      res.end(config_);
    } else {
      res.writeHead(404);
      res.end();
    }
  };

  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('uses REGISTRY_USERNAME/PASSWORD for the configured registry, also under INTERNAL_REGISTRY_HOSTNAME', async () => {
    const importer = new RemoteImporter(config({ registryUrl: url, registryUsername: 'robot', registryPassword: 's3cret', internalRegistryHostname: 'registry.internal:5000' }));
    const status = await importer.lookup(isi([`${new URL(url).host}/ns/app:v1`, 'registry.internal:5000/ns/app:v1']), null, everyRepository);
    expect(status.images!.map((i) => i.status.status)).toEqual(['Success', 'Success']);
    expect(status.images![1]!.image!.dockerImageReference).toBe(`registry.internal:5000/ns/app@${digestOf(manifest)}`);
    expect(status.images![0]!.image!.dockerImageMetadata!.Config!.Labels).toEqual({ a: 'b' });
  });

  it('a namespace pull secret matching the host comes before the configured login (Basic challenge)', async () => {
    const host = new URL(url).host;
    // The configured login is wrong; the namespace secret is right: the secret is used.
    const configured = new RemoteImporter(config({ registryUrl: url, registryUsername: 'robot', registryPassword: 'wrong-password' }));
    const secret = (h: string) => (h === host ? { username: 'robot', password: 's3cret' } : undefined);
    expect((await configured.lookup(isi([`${host}/ns/app:v1`]), null, everyRepository, secret)).images![0]!.status.status).toBe('Success');
    // Any registry, configured or not; a secret of another host is not used.
    expect((await new RemoteImporter(config({})).lookup(isi([`${host}/ns/app:v1`]), null, everyRepository, secret)).images![0]!.status.status).toBe('Success');
    const other = (h: string) => (h === 'quay.io' ? { username: 'robot', password: 's3cret' } : undefined);
    expect((await new RemoteImporter(config({})).lookup(isi([`${host}/ns/app:v1`]), null, everyRepository, other)).images![0]!.status.reason).toBe('Unauthorized');
  });

  it('without credentials the result is Unauthorized', async () => {
    const status = await new RemoteImporter(config({})).lookup(isi([`${new URL(url).host}/ns/app:v1`]), null, everyRepository);
    const ref = `${new URL(url).host}/ns/app:v1`;
    expect(status.images![0]!.status).toMatchObject({ status: 'Failure', reason: 'Unauthorized', code: 401, message: `you may not have access to the container image "${ref}"` });
  });
});

describe('RemoteImporter repository without tags', () => {
  let server: Server;
  let host: string;

  beforeAll(async () => {
    // tags/list of a repository whose tags were all deleted: distribution answers `tags: null`.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"name":"ns/empty","tags":null}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is a Success with no images field (upstream omits the empty list)', async () => {
    const status = await new RemoteImporter(config({})).lookup(
      { metadata: { name: 'app' }, spec: { import: false, repository: { from: { kind: 'DockerImage', name: `${host}/ns/empty` }, importPolicy: { insecure: true }, referencePolicy: { type: 'Source' } } } },
      null,
      everyRepository,
    );
    expect(status.repository).toEqual({ status: { metadata: {}, status: 'Success' } });
  });
});
