import { ApiError } from '@app/api-machinery';
import type { StoredEvent } from './envelope';
import { InboxWriter } from './inbox-writer';
import type { InboxRepository } from './inbox.repository';

/**
 * An inbox whose INSERT fails as a whole when any row's id is refused, as Postgres's would (the
 * Database answers such a data exception 400); `outage`: every INSERT fails 503.
 */
function inboxRefusing(bad: string, outage = false): { inbox: InboxRepository; inserts: string[][] } {
  const stored = new Set<string>();
  const inserts: string[][] = [];
  const inbox = {
    insert: async (events: StoredEvent[]) => {
      inserts.push(events.map((e) => e.id));
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (outage) throw ApiError.unavailable('the storage backend is unavailable, please retry');
      if (events.some((e) => e.id === bad)) throw ApiError.badRequest(`the request holds a value that cannot be stored: index row size exceeds the maximum for ${bad}`);
      return events.filter((e) => !stored.has(e.id) && stored.add(e.id)).map((e) => e.id);
    },
  } as unknown as InboxRepository;
  return { inbox, inserts };
}

const events = (...ids: string[]) => ids.map((id) => ({ id }) as StoredEvent);

describe('InboxWriter', () => {
  it('a refused envelope written together with others fails alone: the others are stored and answered', async () => {
    const { inbox, inserts } = inboxRefusing('huge');
    const writer = new InboxWriter(inbox);
    // Two inserts in flight at once; the next four envelopes wait and go in one INSERT together.
    const answers = await Promise.allSettled([
      writer.write(events('a')),
      writer.write(events('b')),
      writer.write(events('c')),
      writer.write(events('huge', 'd')),
      writer.write(events('e', 'c')),
      writer.write(events('f')),
    ]);
    expect(inserts.slice(0, 3)).toEqual([['a'], ['b'], ['c', 'huge', 'd', 'e', 'c', 'f']]);
    expect(answers.map((a) => (a.status === 'fulfilled' ? [...a.value] : 'refused'))).toEqual([['a'], ['b'], ['c'], 'refused', ['e'], ['f']]);
  });

  it('an outage fails every envelope of the batch at once, without storing them one by one', async () => {
    const { inbox, inserts } = inboxRefusing('', true);
    const writer = new InboxWriter(inbox);
    const answers = await Promise.allSettled(['a', 'b', 'c', 'd'].map((id) => writer.write(events(id))));
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(inserts).toEqual([['a'], ['b'], ['c', 'd']]);
  });
});
