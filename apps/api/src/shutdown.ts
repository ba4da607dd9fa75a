import { Logger } from '@nestjs/common';
import { noteRedisShutdown } from '@app/queue-contracts';

/** What a started part must offer to be shut down. */
export interface Closable {
  close(): Promise<unknown>;
}

export interface ShutdownSignals {
  /** A signal arrived: the process is shutting down. */
  readonly closing: boolean;
  /**
   * A part still starting when the signal handlers were installed (the worker of `npm start`):
   * a shutdown waits for its start to settle and then closes it with the rest. Its promise is
   * returned as is, so the caller still sees a failed start.
   */
  starting<T extends Closable>(start: Promise<T>): Promise<T>;
}

/** kube-apiserver's --shutdown-delay-duration: what to do at the signal, and how long to wait then. */
export interface ShutdownDelay {
  seconds: number;
  /** Runs at the signal, before the delay (the api's readiness starts failing). */
  onSignal(): void;
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: after the delay (if any; everything is served as usual
 * meanwhile), run the closers (end watches, drain in-flight requests, stop consumers), then exit 0;
 * a stuck closer is cut off after the grace period (exit 1), counted from the end of the delay.
 * `closers` is read when the drain begins, after the parts still starting have settled.
 */
export function exitOnSignals(closers: (() => Promise<unknown>)[], graceSeconds: number, delay: ShutdownDelay = { seconds: 0, onSignal: () => undefined }): ShutdownSignals {
  let closing = false;
  const pending = new Set<Promise<unknown>>();
  // Both ends are logged: a restart an operator did not order, or one that cut work off, must show.
  const log = new Logger('Shutdown');
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    delay.onSignal();
    const drain = () => {
      noteRedisShutdown();
      log.log(`${signal}: shutting down, draining within ${graceSeconds} s (SHUTDOWN_GRACE_SECONDS)`);
      const timer = setTimeout(() => {
        log.error(`${signal}: the ${graceSeconds} s grace period ran out with work still draining; exiting 1`);
        process.exit(1);
      }, graceSeconds * 1000);
      timer.unref();
      void Promise.allSettled([...pending])
        .then(() => Promise.allSettled(closers.map((close) => close())))
        .then(() => process.exit(0));
    };
    if (delay.seconds === 0) return drain();
    log.log(`${signal}: /readyz fails from now on; serving as usual for ${delay.seconds} s (SHUTDOWN_DELAY_SECONDS), then draining`);
    // Not unref'd: the delay is what keeps the process up for its load balancers.
    setTimeout(drain, delay.seconds * 1000);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return {
    get closing() {
      return closing;
    },
    starting<T extends Closable>(start: Promise<T>): Promise<T> {
      // The closer is added before the shutdown reads the list: in this reaction, not the caller's.
      const added = start.then((part) => {
        closers.push(() => part.close());
        return part;
      });
      pending.add(added);
      const done = () => pending.delete(added);
      added.then(done, done);
      return added;
    },
  };
}
