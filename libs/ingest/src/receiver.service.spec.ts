import { metricsRegistry } from '@app/observability';
import type { RegistryEventQueue } from './event-queue';
import { InboxWriter } from './inbox-writer';
import type { InboxRepository } from './inbox.repository';
import { RegistryNotificationReceiver } from './receiver.service';
import { capturedEnvelope } from './testing/captured-events';

/** An inbox that already holds `stored` and takes every other id once. */
function fakeInbox(stored: string[]): InboxRepository {
  const ids = new Set(stored);
  return {
    insert: async (events: { id: string }[]) => events.filter((e) => !ids.has(e.id) && ids.add(e.id)).map((e) => e.id),
  } as unknown as InboxRepository;
}

const event = (name: 'push-manifest' | 'pull-manifest', id: string) => ({ ...JSON.parse(capturedEnvelope(name).toString()).events[0], id });

async function duplicateCount(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('imagestreamd_registry_events_total')!.get();
  return metric.values.find((v) => v.labels['outcome'] === 'duplicate' && v.labels['action'] === 'push')?.value ?? 0;
}

describe('RegistryNotificationReceiver', () => {
  it('answers for every event of the envelope: an id repeated inside it is a duplicate, as a resent one is', async () => {
    const enqueued: string[][] = [];
    const queue = { enqueueSoon: (ids: string[]) => enqueued.push(ids) } as unknown as RegistryEventQueue;
    const receiver = new RegistryNotificationReceiver(new InboxWriter(fakeInbox(['resent'])), queue);
    const before = await duplicateCount();
    const body = JSON.stringify({ events: [event('push-manifest', 'a'), event('push-manifest', 'a'), event('pull-manifest', 'p'), event('push-manifest', 'resent'), event('push-manifest', 'a')] });
    expect(await receiver.receive(Buffer.from(body))).toEqual({ stored: 1, duplicates: 3, counted: 1 });
    expect((await duplicateCount()) - before).toBe(3);
    expect(enqueued).toEqual([['a']]);
  });
});
