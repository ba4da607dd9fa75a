import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { digestOf } from './digest';
import { DigestMismatchError } from './manifest-errors';
import { MANIFEST_ACCEPT, MediaTypes } from './media-types';
import { RegistryClient } from './registry-client';
import {
  InvalidReferenceError,
  RegistryAuthError,
  RegistryNotFoundError,
  RegistryProtocolError,
  RegistryUnavailableError,
} from './registry-errors';
import { ociConfig, ociManifest } from './testing/manifest-fixtures';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface FakeServer {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A loopback HTTP server whose behaviour each test scripts. */
async function fakeServer(handler: Handler): Promise<FakeServer> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: Buffer | string | object,
  headers: Record<string, string> = {},
): void {
  const raw = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'content-length': String(raw.length), ...headers });
  res.end(raw);
}

const manifestPath = '/v2/myproject/app/manifests/v1';
const manifestHeaders = {
  'content-type': MediaTypes.ociManifest,
  'docker-content-digest': ociManifest.digest,
};
const notFound = {
  errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'v9' } }],
};

describe('RegistryClient', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function serve(handler: Handler): Promise<FakeServer> {
    const server = await fakeServer(handler);
    cleanups.push(() => server.close());
    return server;
  }
  function client(
    url: string,
    extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {},
  ): RegistryClient {
    const c = new RegistryClient({ baseUrl: url, timeoutMs: 2000, ...extra });
    cleanups.push(() => c.close());
    return c;
  }

  it('lists tags across Link pages, stopping at the limit', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/v2/myproject/app/tags/list?n=1000') {
        send(res, 200, { name: 'myproject/app', tags: ['a', 'b'] }, { link: '</v2/myproject/app/tags/list?last=b&n=1000>; rel="next"' });
      } else if (req.url === '/v2/myproject/app/tags/list?last=b&n=1000') {
        send(res, 200, { name: 'myproject/app', tags: ['c', 'd'] });
      } else send(res, 404, notFound);
    });
    const c = client(server.url);
    await expect(c.listTags('myproject/app', 10)).resolves.toEqual(['a', 'b', 'c', 'd']);
    await expect(c.listTags('myproject/app', 1)).resolves.toEqual(['a']);
    await expect(c.listTags('myproject/missing', 10)).rejects.toBeInstanceOf(RegistryNotFoundError);
  });

  it('GETs a manifest with the full Accept list and verifies the announced digest', async () => {
    const server = await serve((req, res) =>
      req.url === manifestPath
        ? send(res, 200, ociManifest.raw, {
            ...manifestHeaders,
            'content-type': `${MediaTypes.ociManifest}; charset=utf-8`,
          })
        : send(res, 404, notFound),
    );
    const c = client(server.url);
    await expect(c.getManifest('myproject/app', 'v1')).resolves.toEqual({
      raw: ociManifest.raw,
      mediaType: MediaTypes.ociManifest,
      digest: ociManifest.digest,
    });
    expect(server.requests[0]?.headers['accept']).toBe(MANIFEST_ACCEPT);
    expect(MANIFEST_ACCEPT).toContain(MediaTypes.ociIndex);
    expect(c.host).toBe(server.url.slice('http://'.length));
  });

  it('computes the digest when the registry sends none, and checks by-digest fetches', async () => {
    const server = await serve((req, res) =>
      send(res, 200, ociManifest.raw, { 'content-type': MediaTypes.ociManifest }),
    );
    const c = client(server.url);
    expect((await c.getManifest('myproject/app', 'v1')).digest).toBe(ociManifest.digest);
    expect((await c.getManifest('myproject/app', ociManifest.digest)).digest).toBe(ociManifest.digest);
    await expect(c.getManifest('myproject/app', digestOf('other'))).rejects.toThrow(DigestMismatchError);
  });

  it('rejects bytes that do not match Docker-Content-Digest', async () => {
    const server = await serve((_req, res) =>
      send(res, 200, ociManifest.raw, { ...manifestHeaders, 'docker-content-digest': digestOf('tampered') }),
    );
    await expect(client(server.url).getManifest('myproject/app', 'v1')).rejects.toThrow(
      /manifest digest mismatch/,
    );
  });

  it('maps 404 to a permanent RegistryNotFoundError with the registry code', async () => {
    const server = await serve((_req, res) =>
      send(res, 404, notFound, { 'content-type': 'application/json' }),
    );
    const err = await client(server.url)
      .getManifest('myproject/app', 'v9')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryNotFoundError);
    expect(err).toMatchObject({ code: 'MANIFEST_UNKNOWN', retryable: false });
    expect((err as Error).message).toContain('MANIFEST_UNKNOWN manifest unknown');
  });

  it('HEADs a manifest: digest, or null on 404', async () => {
    const server = await serve((req, res) => {
      if (req.url === manifestPath) {
        res.writeHead(200, { ...manifestHeaders, 'content-length': String(ociManifest.size) });
        res.end();
      } else send(res, 404, notFound);
    });
    const c = client(server.url);
    await expect(c.headManifest('myproject/app', 'v1')).resolves.toBe(ociManifest.digest);
    await expect(c.headManifest('myproject/app', 'v2')).resolves.toBeNull();
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  });

  it.each([500, 502, 503, 429])('maps %d to a retryable RegistryUnavailableError', async (status) => {
    const server = await serve((_req, res) => send(res, status, 'busy'));
    const err = await client(server.url)
      .getManifest('myproject/app', 'v1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect(err).toMatchObject({ status, retryable: true });
  });

  describe('temporary retries (library-go retryRepository)', () => {
    const delays = { tooManyRequestsMs: 20, timeoutMs: 10 };

    it('asks again after a 429, at most temporaryRetries times', async () => {
      let answered = 0;
      const server = await serve((_req, res) => (++answered <= 2 ? send(res, 429, { details: 'slow down' }) : send(res, 200, ociManifest.raw, manifestHeaders)));
      await expect(client(server.url, { temporaryRetries: 2, temporaryRetryDelays: delays }).getManifest('myproject/app', 'v1')).resolves.toMatchObject({ digest: ociManifest.digest });
      expect(server.requests).toHaveLength(3);

      const limited = await serve((_req, res) => send(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'too many requests' }] }));
      await expect(client(limited.url, { temporaryRetries: 2, temporaryRetryDelays: delays }).getBlob('myproject/app', ociConfig.digest)).rejects.toMatchObject({ status: 429 });
      expect(limited.requests).toHaveLength(3);
    });

    it('asks again after a timeout', async () => {
      let answered = 0;
      const server = await serve((_req, res) => {
        if (++answered === 1) return; // the first request never gets an answer
        send(res, 200, ociManifest.raw, manifestHeaders);
      });
      await expect(client(server.url, { timeoutMs: 200, temporaryRetries: 2, temporaryRetryDelays: delays }).getManifest('myproject/app', 'v1')).resolves.toMatchObject({ digest: ociManifest.digest });
      expect(server.requests).toHaveLength(2);
    });

    it('does not retry other 5xx answers, refused connections, or anything without temporaryRetries', async () => {
      const busy = await serve((_req, res) => send(res, 503, { errors: [{ code: 'UNAVAILABLE', message: 'service unavailable' }] }));
      await expect(client(busy.url, { temporaryRetries: 2, temporaryRetryDelays: delays }).getManifest('myproject/app', 'v1')).rejects.toMatchObject({ status: 503 });
      expect(busy.requests).toHaveLength(1);

      const limited = await serve((_req, res) => send(res, 429, 'slow down'));
      await expect(client(limited.url).getManifest('myproject/app', 'v1')).rejects.toMatchObject({ status: 429 });
      expect(limited.requests).toHaveLength(1);

      const closed = await fakeServer(() => undefined);
      await closed.close();
      const started = Date.now();
      await expect(client(closed.url, { temporaryRetries: 2, temporaryRetryDelays: { tooManyRequestsMs: 5000, timeoutMs: 5000 } }).getManifest('myproject/app', 'v1')).rejects.toThrow(RegistryUnavailableError);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  it('maps other 4xx to RegistryProtocolError', async () => {
    const server = await serve((_req, res) =>
      send(res, 400, { errors: [{ code: 'NAME_INVALID', message: 'bad' }] }),
    );
    await expect(client(server.url).getManifest('myproject/app', 'v1')).rejects.toThrow(
      RegistryProtocolError,
    );
  });

  it('maps connection refused and timeouts to RegistryUnavailableError', async () => {
    const closed = await fakeServer(() => undefined);
    await closed.close();
    await expect(client(closed.url).getManifest('myproject/app', 'v1')).rejects.toThrow(
      RegistryUnavailableError,
    );

    const silent = await serve(() => undefined); // accepts, never answers
    const started = Date.now();
    await expect(client(silent.url, { timeoutMs: 200 }).getManifest('myproject/app', 'v1')).rejects.toThrow(
      RegistryUnavailableError,
    );
    // The server never answers: ending at all is the point (the bound allows for a loaded machine).
    expect(Date.now() - started).toBeLessThan(20000);
  });

  it('maps a body that stalls after the headers to RegistryUnavailableError', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { ...manifestHeaders, 'content-length': String(ociManifest.size) });
      res.write(ociManifest.raw.subarray(0, 10)); // ...and never the rest
    });
    await expect(client(server.url, { timeoutMs: 200 }).getManifest('myproject/app', 'v1')).rejects.toThrow(
      RegistryUnavailableError,
    );
  });

  it('refuses invalid names before any request', async () => {
    const c = client('http://127.0.0.1:9');
    await expect(c.getManifest('../etc', 'v1')).rejects.toThrow(InvalidReferenceError);
    await expect(c.getManifest('a/b', 'bad tag')).rejects.toThrow(InvalidReferenceError);
    await expect(c.getBlob('a/b', 'sha256:short')).rejects.toThrow(InvalidReferenceError);
  });

  it('enforces the manifest size limit', async () => {
    const server = await serve((_req, res) => send(res, 200, ociManifest.raw, manifestHeaders));
    await expect(
      client(server.url, { maxManifestBytes: 10 }).getManifest('myproject/app', 'v1'),
    ).rejects.toThrow(/larger than 10 bytes/);
  });

  describe('blobs', () => {
    it('GETs and verifies a blob, following a redirect to storage without forwarding credentials', async () => {
      const storage = await serve((_req, res) => send(res, 200, ociConfig.raw));
      const registry = await serve((req, res) => {
        if (req.headers['authorization'] === undefined)
          return send(res, 401, '', { 'www-authenticate': 'Basic realm="r"' });
        res.writeHead(307, { location: `${storage.url}/bucket/blob?sig=1`, 'content-length': '0' });
        res.end();
      });
      const c = client(registry.url, { credentials: { username: 'u', password: 'p' } });
      await expect(c.getBlob('myproject/app', ociConfig.digest)).resolves.toEqual(ociConfig.raw);
      expect(storage.requests[0]?.url).toBe('/bucket/blob?sig=1');
      expect(storage.requests[0]?.headers['authorization']).toBeUndefined();
    });

    it('rejects a blob whose bytes do not hash to its digest', async () => {
      const server = await serve((_req, res) => send(res, 200, 'corrupted'));
      await expect(client(server.url).getBlob('myproject/app', ociConfig.digest)).rejects.toThrow(
        /blob digest mismatch/,
      );
    });
  });

  describe('authentication', () => {
    it('follows a Bearer challenge to the realm and caches the token per repository', async () => {
      const tokenRequests: URL[] = [];
      const auth = await serve((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        tokenRequests.push(url);
        if (req.headers['authorization'] !== `Basic ${Buffer.from('alice:pw').toString('base64')}`) {
          return send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
        }
        send(res, 200, { token: `tok-${tokenRequests.length}`, expires_in: 300 });
      });
      const registry = await serve((req, res) => {
        if (req.headers['authorization'] === 'Bearer tok-1')
          return send(res, 200, ociManifest.raw, manifestHeaders);
        send(
          res,
          401,
          { errors: [{ code: 'UNAUTHORIZED' }] },
          {
            'www-authenticate': `Bearer realm="${auth.url}/token",service="test-registry",scope="repository:myproject/app:pull"`,
          },
        );
      });

      const c = client(registry.url, { credentials: { username: 'alice', password: 'pw' } });
      await c.getManifest('myproject/app', 'v1');
      await c.getManifest('myproject/app', 'v1');
      expect(tokenRequests).toHaveLength(1);
      expect(tokenRequests[0]?.pathname).toBe('/token');
      expect(Object.fromEntries(tokenRequests[0]?.searchParams ?? [])).toEqual({
        service: 'test-registry',
        scope: 'repository:myproject/app:pull',
        account: 'alice',
      });
      expect(registry.requests.map((r) => r.headers['authorization'])).toEqual([
        undefined,
        'Bearer tok-1',
        'Bearer tok-1',
      ]);

      const wrong = client(registry.url, { credentials: { username: 'alice', password: 'nope' } });
      const err = await wrong.getManifest('myproject/app', 'v1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryAuthError);
      expect((err as Error).message).toContain('token service answered 401: bad credentials');
    });

    it('asks anonymously without credentials and reports a rejected token', async () => {
      const auth = await serve((req, res) => send(res, 200, { access_token: 'anon' }));
      const registry = await serve((_req, res) =>
        send(res, 401, '', {
          'www-authenticate': `Bearer realm="${auth.url}/token",service="svc",scope="repository:myproject/app:pull",error="insufficient_scope"`,
        }),
      );
      const err = await client(registry.url)
        .getManifest('myproject/app', 'v1')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryAuthError);
      expect((err as Error).message).toContain('insufficient_scope');
      expect(auth.requests[0]?.headers['authorization']).toBeUndefined();
      expect(auth.requests[0]?.url).not.toContain('account=');
      expect(registry.requests[1]?.headers['authorization']).toBe('Bearer anon');
    });

    it('answers Basic challenges with credentials, then sends them up front', async () => {
      const basic = `Basic ${Buffer.from('bob:secret').toString('base64')}`;
      const registry = await serve((req, res) =>
        req.headers['authorization'] === basic
          ? send(res, 200, ociManifest.raw, manifestHeaders)
          : send(res, 401, '', { 'www-authenticate': 'Basic realm="Registry"' }),
      );
      const c = client(registry.url, { credentials: { username: 'bob', password: 'secret' } });
      await c.getManifest('myproject/app', 'v1');
      await c.getManifest('myproject/app', 'v1');
      expect(registry.requests.map((r) => r.headers['authorization'])).toEqual([undefined, basic, basic]);

      await expect(client(registry.url).getManifest('myproject/app', 'v1')).rejects.toThrow(
        'registry requires credentials',
      );
    });

    it('never puts the credentials it sends into an error, even when the registry or token service quotes them', async () => {
      const password = 'pw-4f9c2e81d7';
      const basic = Buffer.from(`robot:${password}`).toString('base64');
      const token = 'tok-9a7b6c5d4e3f';
      const quoting = (req: IncomingMessage, res: ServerResponse) =>
        send(res, 500, { errors: [{ code: 'UNKNOWN', message: `cannot serve ${req.headers['authorization']} (password ${password})` }] });
      // A Basic registry that fails while quoting the request's Authorization header.
      const registry = await serve((req, res) =>
        req.headers['authorization'] ? quoting(req, res) : send(res, 401, '', { 'www-authenticate': 'Basic realm="r"' }),
      );
      // A Bearer registry whose token service hands out a token the registry then quotes.
      const auth = await serve((_req, res) => send(res, 200, { token }));
      const bearer = await serve((req, res) =>
        req.headers['authorization'] === `Bearer ${token}`
          ? quoting(req, res)
          : send(res, 401, '', { 'www-authenticate': `Bearer realm="${auth.url}/token",service="svc"` }),
      );
      // A token service that refuses while quoting what it was sent.
      const refusing = await serve((req, res) => send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: `bad ${req.headers['authorization']}` }] }));
      const gated = await serve((_req, res) => send(res, 401, '', { 'www-authenticate': `Bearer realm="${refusing.url}/token"` }));
      for (const url of [registry.url, bearer.url, gated.url]) {
        const err = (await client(url, { credentials: { username: 'robot', password } })
          .getManifest('myproject/app', 'v1')
          .catch((e: unknown) => e)) as Error;
        expect(err).toBeInstanceOf(Error);
        expect(err.message).toContain('<redacted>');
        for (const secret of [password, basic, token]) {
          expect(err.message).not.toContain(secret);
          expect(err.stack).not.toContain(secret);
        }
      }
    });

    it('maps 403 and an unreachable token service', async () => {
      const forbidden = await serve((_req, res) =>
        send(res, 403, { errors: [{ code: 'DENIED', message: 'no' }] }),
      );
      await expect(client(forbidden.url).getManifest('myproject/app', 'v1')).rejects.toThrow(
        RegistryAuthError,
      );

      // The registry listens before the token service's port is freed, so it cannot be handed
      // that same port (its challenge would then point at itself).
      let goneUrl = '';
      const registry = await serve((_req, res) =>
        send(res, 401, '', { 'www-authenticate': `Bearer realm="${goneUrl}/token",service="svc"` }),
      );
      const gone = await fakeServer(() => undefined);
      goneUrl = gone.url;
      await gone.close();
      await expect(client(registry.url).getManifest('myproject/app', 'v1')).rejects.toThrow(
        RegistryUnavailableError,
      );
    });
  });
});
