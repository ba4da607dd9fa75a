import { currentTagImageSql } from '@app/image';
import type { Database, ParameterisedSql } from '@app/persistence';
import { InboxRepository } from './inbox.repository';
import { namespaceTerminatingSql } from './namespace-terminating';
import { TagPositionsRepository } from './tag-positions.repository';

// The statements of the processor's lock round trip and of its COMMIT run as statements each
// connection prepares once per distinct text (session-statements.ts): a value inlined into a text
// would prepare a new statement per event and grow every connection without bound.
describe('ingestion gate statements', () => {
  const inbox = new InboxRepository({} as Database);
  const positions = new TagPositionsRepository();
  const position = (n: bigint, digest: string | null) => ({ eventId: `e${n}`, eventNs: n, sourceInstance: `src-${n}`, digest, currentImage: digest });
  const cases: [string, () => ParameterisedSql, () => ParameterisedSql][] = [
    ['pending events of a tag', () => inbox.pendingForTagSql('a/b', 'latest', 1n), () => inbox.pendingForTagSql("o'brien/x", 'v1', 99n)],
    ['settlement', () => inbox.finishSql('id-1', 'processed', 'tagged'), () => inbox.finishSql("id'2", 'ignored', 'ignored', 'a reason')],
    ['tag position read', () => positions.getSql('a/b', 'latest'), () => positions.getSql('c/d', 'v2')],
    ['tag position write', () => positions.setSql('a/b', 'latest', position(1n, 'sha256:aa')), () => positions.setSql('c/d', 'v2', position(2n, null))],
    ['namespace terminating', () => namespaceTerminatingSql('ns1'), () => namespaceTerminatingSql("n's")],
    ['current tag image', () => currentTagImageSql('ns', 'is', 'latest'), () => currentTagImageSql('other', 'stream', 'v2')],
  ];

  it.each(cases)('%s: one text whatever the values, which travel apart', (_, first, second) => {
    const a = first();
    const b = second();
    expect(a.text).toBe(b.text);
    expect(a.values).not.toEqual(b.values);
    // Every placeholder carries a cast: EXECUTE passes the values as literals.
    const placeholders = a.text.match(/\$\d+(::\w+)?/g) ?? [];
    expect(placeholders.length).toBeGreaterThan(0);
    for (const p of placeholders) expect(p).toMatch(/::/);
    expect(new Set(placeholders.map((p) => p.split('::')[0])).size).toBe(a.values.length);
  });
});
