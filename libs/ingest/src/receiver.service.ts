import { ApiError } from '@app/api-machinery';
import { registryEvents } from '@app/observability';
import { EnvelopeError, parseEnvelope, type StoredEvent } from './envelope';
import type { RegistryEventQueue } from './event-queue';
import type { InboxWriter } from './inbox-writer';

export interface ReceiveResult {
  /** New events stored in the inbox. */
  stored: number;
  /** Events already in the inbox (registry retries). */
  duplicates: number;
  /** Pull, blob and other events: counted in metrics only. */
  counted: number;
}

function countStored(e: StoredEvent, outcome: 'stored' | 'duplicate'): void {
  registryEvents.inc({ action: e.kind === 'manifest-push' ? 'push' : 'delete', target: e.kind === 'tag-delete' ? 'tag' : 'manifest', outcome });
}

/** distribution 2.x posts events.v1, 3.x events.v2 (the same envelope for what is read here). */
const acceptedTypes = new Set(['application/vnd.docker.distribution.events.v1+json', 'application/vnd.docker.distribution.events.v2+json', 'application/json']);

/**
 * The durable end of the registry's notification pipe. An envelope's events are committed with one
 * multi-row INSERT before the answer (group commit when many senders post at once: InboxWriter);
 * Postgres unavailable → 503 from the database layer, so the registry retries. Enqueueing happens
 * after the commit, without delaying the answer, and may fail (the sweeper catches up).
 */
export class RegistryNotificationReceiver {
  constructor(
    private readonly inbox: InboxWriter,
    private readonly queue: RegistryEventQueue,
  ) {}

  static checkContentType(contentType: string | undefined): void {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (!acceptedTypes.has(type)) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `registry notifications must be application/vnd.docker.distribution.events.v1+json, application/vnd.docker.distribution.events.v2+json or application/json (got "${type}")`,
      );
    }
  }

  async receive(body: Buffer | undefined): Promise<ReceiveResult> {
    if (!body || body.length === 0) throw ApiError.badRequest('the request body is empty');
    let events;
    try {
      events = parseEnvelope(body);
    } catch (e) {
      if (e instanceof EnvelopeError) throw ApiError.badRequest(`malformed notification envelope: ${e.message}`);
      throw e;
    }
    const toStore: StoredEvent[] = [];
    // An id repeated inside the envelope is stored once; the repeats are duplicates like a resent event.
    const ids = new Set<string>();
    const repeats: StoredEvent[] = [];
    let counted = 0;
    for (const e of events) {
      if ('counted' in e) {
        counted++;
        registryEvents.inc({ action: e.counted.action, target: e.counted.target, outcome: 'counted' });
      } else if (ids.has(e.stored.id)) {
        repeats.push(e.stored);
      } else {
        ids.add(e.stored.id);
        toStore.push(e.stored);
      }
    }
    const fresh = await this.inbox.write(toStore);
    for (const e of toStore) countStored(e, fresh.has(e.id) ? 'stored' : 'duplicate');
    for (const e of repeats) countStored(e, 'duplicate');
    // After the commit and without delaying the answer: the queue batches and may fail (Redis down).
    if (fresh.size) this.queue.enqueueSoon([...fresh]);
    return { stored: fresh.size, duplicates: toStore.length - fresh.size + repeats.length, counted };
  }
}
