import type { StoredEvent } from './envelope';
import { InboxWriter } from './inbox-writer';
import type { InboxRepository } from './inbox.repository';

/** An inbox whose INSERT fails as a whole when any row's id is refused, as Postgres's would. */
function inboxRefusing(bad: string): { inbox: InboxRepository; inserts: string[][] } {
  const stored = new Set<string>();
  const inserts: string[][] = [];
  const inbox = {
    insert: async (events: StoredEvent[]) => {
      inserts.push(events.map((e) => e.id));
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (events.some((e) => e.id === bad)) throw new Error(`index row size exceeds the maximum for ${bad}`);
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
});
