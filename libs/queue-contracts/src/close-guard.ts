import { RedisConnection, Worker } from 'bullmq';

let installed = false;

/**
 * Shutdown workarounds for BullMQ 5.81, installed once at api and worker bootstrap.
 *
 * 1. A RedisConnection closing while it is still initializing
 * (taskforcesh/bullmq#3546, open for 5.81): close() disconnects the client and removes every
 * listener at once, and the constructor's own `initializing.catch(emit('error'))` chain then fires
 * "Connection is closed." with no listener, which Node turns into an unhandled rejection that kills
 * the process (or fails a test file). It happens whenever a Queue or Worker is closed while Redis is
 * down or the connection is mid-handshake: a shutdown during a Redis outage, or a fast restart.
 *
 * The guard re-attaches a no-op 'error' listener right after close() has run its synchronous part:
 * an error from a connection we are done with has nobody left to tell.
 *
 * 2. A Worker that sat idle through a Redis outage can keep its blocking connection in
 * `reconnecting` with no socket. A graceful Worker.close() then waits for that connection's 'end'
 * event, which a socketless ioredis client never emits, so shutdown hangs. Such a worker has no
 * job it could still finish (finishing one needs Redis), so it is closed with `force`; its active
 * jobs, if any, come back as stalled and are retried (every handler is idempotent).
 */
export function installBullmqShutdownGuards(): void {
  if (installed) return;
  installed = true;
  const prototype = RedisConnection.prototype;
  const originalClose = Object.getOwnPropertyDescriptor(prototype, 'close')?.value as (this: RedisConnection, force?: boolean) => Promise<void>;
  prototype.close = function closeThenSwallowLateErrors(this: RedisConnection, force?: boolean): Promise<void> {
    const closing = originalClose.call(this, force);
    this.on('error', ignoreLateError);
    return closing;
  };

  const workerPrototype = Worker.prototype;
  const originalWorkerClose = Object.getOwnPropertyDescriptor(workerPrototype, 'close')?.value as (this: Worker, force?: boolean) => Promise<void>;
  workerPrototype.close = function closeForcedWhenDisconnected(this: Worker, force = false): Promise<void> {
    return originalWorkerClose.call(this, force || !blockingClientReady(this));
  };
}

/** Is the worker's blocking connection connected? (A private field: BullMQ exposes no status.) */
function blockingClientReady(worker: Worker): boolean {
  const status = (worker as unknown as { blockingConnection?: { _client?: { status?: string } } }).blockingConnection?._client?.status;
  return status === undefined || status === 'ready';
}

function ignoreLateError(): void {
  // Deliberately empty: see installBullmqShutdownGuards.
}
