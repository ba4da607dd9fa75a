import { connect } from 'node:net';
import { ownApiProcess } from './support/own-api-process';

/**
 * SIGTERM while a request is in flight on a keep-alive connection (a client mid-list during a
 * rolling restart): the request finishes, its answer says `Connection: close` and the connection
 * ends with it, so the server drains and exits 0 at once, as Go's http.Server.Shutdown (which
 * kube-apiserver uses) turns keep-alives off for the answers still being written. The answer said
 * `keep-alive`, the idle socket held server.close() open and the process was cut off by
 * SHUTDOWN_GRACE_SECONDS with exit code 1 (found by a client-library soak restarting the api).
 */
describe('api shutdown: a request in flight on a keep-alive connection', () => {
  const own = ownApiProcess('sd');

  it('is answered with Connection: close and the process exits 0 without waiting for the grace period', async () => {
    const api = await own.start({ SHUTDOWN_GRACE_SECONDS: '20' });
    const { hostname, port } = new URL(api.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Waits up to 3 s for a resourceVersion nobody reached: in flight when the signal comes.
    socket.write('GET /apis/image.openshift.io/v1/namespaces/sd/imagestreams?resourceVersion=999999999 HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 500));
    const signalled = Date.now();
    const code = await api.stop('SIGTERM');
    const tookMs = Date.now() - signalled;
    own.forget();
    await ended;

    expect(received).toMatch(/^HTTP\/1\.1 504 /);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10000);
  }, 60000);
});
