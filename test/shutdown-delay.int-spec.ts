import { ownApiProcess } from './support/own-api-process';

/**
 * SHUTDOWN_DELAY_SECONDS, kube-apiserver's --shutdown-delay-duration: after SIGTERM the api keeps
 * listening and serving as usual (no 429, new connections accepted) while /readyz fails its
 * `shutdown` check, so a load balancer probing readiness stops sending before the drain; then it
 * drains and exits 0 as without a delay.
 */
describe('api shutdown with SHUTDOWN_DELAY_SECONDS', () => {
  const own = ownApiProcess('sdd');

  it('fails /readyz at the signal, serves everything else until the delay ends, then drains and exits 0', async () => {
    const api = await own.start({ SHUTDOWN_DELAY_SECONDS: '3', SHUTDOWN_GRACE_SECONDS: '20', LOG_LEVEL: 'info' });
    const get = async (path: string) => {
      // A new connection each time: the listener must still accept during the delay.
      const res = await fetch(`${api.url}${path}`, { headers: { connection: 'close' } });
      return [res.status, await res.text()] as const;
    };
    expect(await get('/readyz')).toEqual([200, 'ok']);

    const signalled = Date.now();
    const exited = new Promise<number | null>((resolve) => api.child.once('exit', (code) => resolve(code)));
    api.child.kill('SIGTERM');
    // The signal reaches the process at once; read until the check fails (well within the delay).
    let readyz = await get('/readyz?verbose');
    while (readyz[0] === 200 && Date.now() - signalled < 2000) readyz = await get('/readyz?verbose');
    expect(readyz).toEqual([500, '[+]ping ok\n[+]postgres ok\n[+]redis ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n']);
    expect(await get('/readyz/shutdown')).toEqual([500, 'internal server error: process is shutting down\n']);
    expect(await get('/livez')).toEqual([200, 'ok']);
    const list = await get('/apis/image.openshift.io/v1/namespaces/sdd/imagestreams');
    expect(list[0]).toBe(200);
    expect(Date.now() - signalled).toBeLessThan(3000);

    const code = await exited;
    own.forget();
    expect(code).toBe(0);
    // It drained only once the delay had passed.
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(3000);
    expect(api.output()).toContain('serving as usual for 3 s (SHUTDOWN_DELAY_SECONDS), then draining');
  }, 60000);
});
