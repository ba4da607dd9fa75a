import { RedisConnection } from 'bullmq';

let installed = false;

/**
 * Works around BullMQ's RedisConnection closing while it is still initializing
 * (taskforcesh/bullmq#3546, open for 5.81): close() disconnects the client and removes every
 * listener at once, and the constructor's own `initializing.catch(emit('error'))` chain then fires
 * "Connection is closed." with no listener, which Node turns into an unhandled rejection that kills
 * the process (or fails a test file). It happens whenever a Queue or Worker is closed while Redis is
 * down or the connection is mid-handshake: a shutdown during a Redis outage, or a fast restart.
 *
 * The guard re-attaches a no-op 'error' listener right after close() has run its synchronous part:
 * an error from a connection we are done with has nobody left to tell. Idempotent.
 */
export function installRedisConnectionCloseGuard(): void {
  if (installed) return;
  installed = true;
  const prototype = RedisConnection.prototype;
  const originalClose = Object.getOwnPropertyDescriptor(prototype, 'close')?.value as (this: RedisConnection, force?: boolean) => Promise<void>;
  prototype.close = function closeThenSwallowLateErrors(this: RedisConnection, force?: boolean): Promise<void> {
    const closing = originalClose.call(this, force);
    this.on('error', ignoreLateError);
    return closing;
  };
}

function ignoreLateError(): void {
  // Deliberately empty: see installRedisConnectionCloseGuard.
}
