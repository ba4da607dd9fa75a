import { ChangesDuringReads } from './changes-during-reads';

describe('ChangesDuringReads', () => {
  it('a read sees the changes to its own keys made while it was in flight, and only those', () => {
    const changes = new ChangesDuringReads();
    const read = changes.begin();
    changes.changed('s:ns/other');
    expect(changes.end(read, ['s:ns/app', 'i:sha256:a'])).toBe(true);
    const again = changes.begin();
    changes.changed('i:sha256:a');
    expect(changes.end(again, ['s:ns/app', 'i:sha256:a'])).toBe(false);
  });

  it('a read may be checked before it ends, and still counts as in flight', () => {
    const changes = new ChangesDuringReads();
    const read = changes.begin();
    expect(changes.unchangedSince(read, ['s:ns/app'])).toBe(true);
    changes.changed('s:ns/app');
    expect(changes.unchangedSince(read, ['s:ns/app'])).toBe(false);
    expect(changes.unchangedSince(read, ['s:ns/other'])).toBe(true);
    expect(changes.end(read, ['s:ns/app'])).toBe(false);
  });

  it('changes before a read began do not count against it', () => {
    const changes = new ChangesDuringReads();
    const first = changes.begin();
    changes.changed('s:ns/app');
    const second = changes.begin();
    expect(changes.end(second, ['s:ns/app'])).toBe(true);
    expect(changes.end(first, ['s:ns/app'])).toBe(false);
  });

  it('remembers nothing while no read is in flight, and forgets once reads end', () => {
    const changes = new ChangesDuringReads();
    changes.changed('s:ns/app');
    expect(changes.remembered).toBe(0);
    const read = changes.begin();
    for (let i = 0; i < 10; i++) changes.changed(`s:ns/s${i}`);
    expect(changes.remembered).toBe(10);
    changes.end(read, []);
    expect(changes.remembered).toBe(0);
  });

  it('stays bounded under endless overlapping reads', () => {
    const changes = new ChangesDuringReads();
    let open = changes.begin();
    for (let i = 0; i < 20000; i++) {
      changes.changed(`s:ns/s${i}`);
      const next = changes.begin();
      changes.end(open, []);
      open = next;
    }
    expect(changes.remembered).toBeLessThan(1100);
  });
});
