import { buildEvent, type CloudEvent, type TriggerEventData } from './cloudevent';
import { splitEvents } from './event-bases';

const data = (name: string, extra: Partial<TriggerEventData> = {}): TriggerEventData => ({
  namespace: 'demo',
  stream: 'base',
  tag: 'latest',
  old: { digest: null, pullSpec: null },
  new: { digest: 'sha256:1', pullSpec: 'r/demo/base@sha256:1' },
  trigger: {
    apiVersion: 'triggers.imagestreamd.io/v1',
    kind: 'Trigger',
    namespace: 'demo',
    name,
    uid: `uid-${name}`,
    generation: 1,
  },
  target: { kind: 'Webhook', name: 'w' },
  patch: null,
  reason: 'ImageChanged',
  tagChangeId: '7',
  causation: [{ deliveryId: 'msg_0', trigger: 'up', namespace: 'demo', image: 'sha256:0' }],
  ...extra,
});
const event = (name: string, time: string, extra?: Partial<TriggerEventData>): CloudEvent =>
  buildEvent(`msg_${name}`, '/isd', time, data(name, extra));

/** What eventSql does in Postgres: top-level merge, then `data` merged. */
const merge = (base: Record<string, unknown>, part: Record<string, unknown>) => ({
  ...base,
  ...part,
  data: { ...(base['data'] as object), ...(part['data'] as object) },
});

describe('splitEvents', () => {
  it('stores what every event of the page shares once, and each part merged with it is its event again', () => {
    const events = [
      event('a', '2026-12-01T10:00:00.000Z'),
      event('b', '2026-12-01T10:00:00.001Z', {
        target: { kind: 'Deployment', name: 'web', containerNames: ['web'] },
        patch: { spec: {} },
        patchType: 'application/strategic-merge-patch+json',
      }),
      event('c', '2026-12-01T10:00:00.000Z', {
        old: { digest: 'sha256:0', pullSpec: 'r/demo/base@sha256:0' },
      }),
    ];
    const { base, parts } = splitEvents(events);
    expect(base).not.toBeNull();
    expect(Object.keys(base!).sort()).toEqual([
      'causationid',
      'data',
      'datacontenttype',
      'specversion',
      'subject',
      'type',
    ]);
    expect(Object.keys(base!['data'] as object).sort()).toEqual([
      'causation',
      'namespace',
      'new',
      'reason',
      'stream',
      'tag',
      'tagChangeId',
    ]);
    parts.forEach((p, i) => {
      expect(merge(base!, p)).toEqual(JSON.parse(JSON.stringify(events[i])));
      // No attribute is in both parts (a merge never chooses between two values).
      expect(Object.keys(p).filter((k) => k !== 'data' && k in base!)).toEqual([]);
      expect(Object.keys(p['data'] as object).filter((k) => k in (base!['data'] as object))).toEqual([]);
    });
  });

  it('shares nothing for a single event', () => {
    const e = event('a', '2026-12-01T10:00:00.000Z');
    expect(splitEvents([e])).toEqual({ base: null, parts: [JSON.parse(JSON.stringify(e))] });
  });
});
