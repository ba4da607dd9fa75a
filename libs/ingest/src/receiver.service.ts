import { ApiError } from '@app/api-machinery';
import { registryEvents } from '@app/observability';
import { EnvelopeError, parseEnvelope, type StoredEvent } from './envelope';
import type { RegistryEventQueue } from './event-queue';
import type { InboxRepository } from './inbox.repository';

export interface ReceiveResult {
  /** New events stored in the inbox. */
  stored: number;
  /** Events already in the inbox (registry retries). */
  duplicates: number;
  /** Pull, blob and other events: counted in metrics only. */
  counted: number;
}

const acceptedTypes = new Set(['application/vnd.docker.distribution.events.v1+json', 'application/json']);

/**
 * The durable end of the registry's notification pipe. One multi-row INSERT per envelope before the
 * answer (Postgres unavailable → 503 from the database layer, so the registry retries); enqueueing
 * happens after the commit, without delaying the answer, and may fail (the sweeper catches up).
 */
export class RegistryNotificationReceiver {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly queue: RegistryEventQueue,
  ) {}

  static checkContentType(contentType: string | undefined): void {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (!acceptedTypes.has(type)) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `registry notifications must be application/vnd.docker.distribution.events.v1+json or application/json (got "${type}")`,
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
    let counted = 0;
    for (const e of events) {
      if ('stored' in e) toStore.push(e.stored);
      else {
        counted++;
        registryEvents.inc({ action: e.counted.action, target: e.counted.target, outcome: 'counted' });
      }
    }
    const fresh = process.env['ZZ_NO_INSERT'] ? toStore.map((e) => e.id) : await this.inbox.insert(toStore);
    const freshSet = new Set(fresh);
    for (const e of toStore) {
      registryEvents.inc({
        action: e.kind === 'manifest-push' ? 'push' : 'delete',
        target: e.kind === 'tag-delete' ? 'tag' : 'manifest',
        outcome: freshSet.has(e.id) ? 'stored' : 'duplicate',
      });
    }
    // After the commit, not awaited: the answer must not wait for (or fail with) Redis.
    if (fresh.length && !process.env['ZZ_NO_ENQUEUE']) void this.queue.enqueue(fresh);
    return { stored: fresh.length, duplicates: toStore.length - fresh.length, counted };
  }
}
