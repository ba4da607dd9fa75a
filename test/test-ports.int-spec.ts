import { spawnSync } from 'node:child_process';
import { createConnection, createServer, type Server } from 'node:net';
import { startApiProcess } from './support/api-process';
import { createTestDatabase } from '@app/testing';
import { reserveLoopbackPort } from './support/free-port';
import { which } from './support/registry/tools';

const listenOn = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const connectError = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });

/**
 * The ports tests hand to servers they start later (a registry the api must know, a Redis that
 * comes up late) are held meanwhile; servers started as processes say which port the OS gave them.
 * Either way no test reaches another test's server on a port both thought theirs.
 */
describe('Test servers keep their ports', () => {
  const describePython = which('python3') ? it : it.skip;

  describePython('a reserved port refuses connections, is handed to nobody by the OS, and still takes the server meant for it', async () => {
    const reserved = await reserveLoopbackPort();
    try {
      expect(await connectError(reserved.port)).toBe('ECONNREFUSED');
      // Held: a plain bind (no SO_REUSEADDR, as the OS's own choice of a port checks) is refused.
      const bind = spawnSync('python3', ['-c', `import socket; socket.socket().bind(('127.0.0.1', ${reserved.port}))`], { encoding: 'utf8' });
      expect(bind.stderr).toContain('Address already in use');
      for (let i = 0; i < 500; i++) {
        const other = await listenOn(0);
        const port = (other.address() as { port: number }).port;
        await close(other);
        expect(port).not.toBe(reserved.port);
      }
      const meant = await listenOn(reserved.port);
      expect(await connectError(reserved.port)).toBe('connected');
      await close(meant);
    } finally {
      reserved.release();
    }
  });

  it('an api process announces the port the OS gave it, and answers there', async () => {
    const db = await createTestDatabase();
    const api = await startApiProcess({ DATABASE_URL: db.url });
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${api.url}/livez`)).status).toBe(200);
    } finally {
      await api.stop();
      await db.drop();
    }
  });
});
