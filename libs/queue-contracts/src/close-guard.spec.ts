import { createServer, type AddressInfo, type Server } from 'node:net';
import { Queue } from 'bullmq';
import { installBullmqShutdownGuards } from './close-guard';

/**
 * A loopback peer that speaks just enough RESP to get an ioredis client 'ready' (the ready check's
 * INFO is answered) and then never answers BullMQ's own INFO: the connection stays mid-handshake,
 * the window in which closing it used to leave an unhandled "Connection is closed." behind.
 */
async function stallingRedis(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let infoCount = 0;
    socket.on('data', (chunk) => {
      for (const command of chunk.toString().split('*').filter(Boolean)) {
        if (/SETINFO|SETNAME/i.test(command)) socket.write('+OK\r\n');
        else if (/\binfo\b/i.test(command) && ++infoCount === 1) {
          const body = 'redis_version:7.2.0\r\nloading:0\r\n';
          socket.write(`$${body.length}\r\n${body}\r\n`);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('installBullmqShutdownGuards', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', record));
  afterAll(() => process.off('unhandledRejection', record));

  it('closing a Queue mid-handshake leaves no unhandled rejection behind', async () => {
    installBullmqShutdownGuards();
    const { server, port } = await stallingRedis();
    try {
      const queue = new Queue('close-guard', { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null } });
      queue.on('error', () => undefined);
      await settle(100);
      await queue.close();
      await settle(200);
      expect(unhandled.map(String)).toEqual([]);
    } finally {
      server.close();
    }
  });
});
