import type { Queryable } from '@app/persistence';
import type { ImageStream } from './imagestream.types';

/** Told, inside the writing transaction, that a stream's spec changed. */
export type StreamSpecListener = (tx: Queryable, stream: ImageStream, old: ImageStream) => Promise<void>;

/**
 * Those who must hear of every ImageStream spec change, not only of tag moves: a changed
 * referencePolicy or dockerImageRepository changes the pull spec dependents are handed, and
 * OpenShift's trigger controller re-checks its dependents on every ImageStream update.
 */
export class StreamSpecListeners {
  private readonly listeners: StreamSpecListener[] = [];

  add(listener: StreamSpecListener): void {
    this.listeners.push(listener);
  }

  async notify(tx: Queryable, stream: ImageStream, old: ImageStream): Promise<void> {
    for (const listener of this.listeners) await listener(tx, stream, old);
  }
}
