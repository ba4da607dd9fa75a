import { TableConvertor } from './table-convertor';
import { kubeDuration } from './kube-duration';
import { shortDigest } from './trigger-printers';
import type { ResourceInfo } from '@app/api-machinery';

const info = (resource: string, kind: string) =>
  ({ group: 'triggers.imagestreamd.io', version: 'v1', resource, kind }) as ResourceInfo;
const now = new Date('2026-11-30T12:00:00Z');
const digest = `sha256:${'ab12'.repeat(16)}`;

describe('kubeDuration (kubectl AGE)', () => {
  it.each([
    [0, '0s'],
    [-500, '0s'],
    [-5000, '<invalid>'],
    [59_000, '59s'],
    [119_000, '119s'],
    [200_000, '3m20s'],
    [180_000, '3m'],
    [45 * 60_000, '45m'],
    [5 * 3_600_000 + 7 * 60_000, '5h7m'],
    [30 * 3_600_000, '30h'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d4h'],
    [40 * 86_400_000, '40d'],
    [3 * 365 * 86_400_000 + 30 * 86_400_000, '3y30d'],
    [10 * 365 * 86_400_000, '10y'],
  ])('%i ms → %s', (ms, want) => {
    expect(kubeDuration(ms)).toBe(want);
  });
  it('shortens digests to 12 hex digits', () => {
    expect(shortDigest(digest)).toBe('sha256:ab12ab12ab12');
    expect(shortDigest(undefined)).toBe('<none>');
  });
});

describe('trigger group Tables', () => {
  const convertor = new TableConvertor();

  it('prints triggers: from, target, paused, last image and fire; wide adds URL, secret, conditions, age', () => {
    const t = {
      metadata: { name: 'rebuild', namespace: 'demo', creationTimestamp: '2026-11-30T11:00:00Z' },
      spec: {
        from: { kind: 'ImageStreamTag', name: 'base:latest' },
        target: { kind: 'Build', name: 'app' },
        delivery: { url: 'https://ci/hook', secretRef: { name: 'hook-key' } },
      },
      status: {
        lastTriggeredImageID: digest,
        lastTriggeredTime: '2026-11-30T11:58:00Z',
        conditions: [
          { type: 'Triggered', status: 'True' },
          { type: 'DeadLettered', status: 'False' },
        ],
      },
    };
    const table = convertor.toTable(info('triggers', 'Trigger'), t, false, 'None', 'meta.k8s.io/v1', now);
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['From', 0],
      ['Target', 0],
      ['Paused', 0],
      ['Last Image', 0],
      ['Last Triggered', 0],
      ['URL', 1],
      ['Secret', 1],
      ['Conditions', 1],
      ['Age', 0],
    ]);
    expect(table.rows[0]!.cells).toEqual([
      'rebuild',
      'demo/base:latest',
      'Build/app',
      false,
      'sha256:ab12ab12ab12',
      '2m',
      'https://ci/hook',
      'hook-key',
      'Triggered',
      '60m',
    ]);
    const cross = {
      ...t,
      spec: { ...t.spec, from: { ...t.spec.from, namespace: 'shared' }, paused: true },
      status: {},
    };
    expect(
      convertor
        .toTable(info('triggers', 'Trigger'), cross, false, 'None', 'meta.k8s.io/v1', now)
        .rows[0]!.cells.slice(0, 6),
    ).toEqual(['rebuild', 'shared/base:latest', 'Build/app', true, '<none>', '<none>']);
  });

  it('prints feed moves: tag, from, to, cause', () => {
    const move = {
      kind: 'TagChangeEvent',
      metadata: { name: '42', namespace: 'demo', creationTimestamp: '2026-11-30T11:58:00Z' },
      type: 'tag.moved',
      stream: 'web',
      tag: 'latest',
      from: digest,
      to: `sha256:${'cd34'.repeat(16)}`,
      cause: 'registry',
    };
    const table = convertor.toTable(info('tagchangeevents', 'TagChangeEvent'), { items: [move] }, true, 'None', 'meta.k8s.io/v1', now);
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Tag', 'From', 'To', 'Cause', 'Age']);
    expect(table.rows[0]!.cells).toEqual(['42', 'web:latest', 'sha256:ab12ab12ab12', 'sha256:cd34cd34cd34', 'registry', '2m']);
  });

  it('prints deliveries and redacted secrets', () => {
    const d = {
      metadata: { name: 'msg_1', namespace: 'demo', creationTimestamp: '2026-11-30T11:59:30Z' },
      spec: { owner: { kind: 'Deployment', name: 'web', uid: 'u' }, image: digest, url: 'https://r/' },
      status: {
        state: 'pending',
        attempts: 2,
        lastStatusCode: 503,
        lastError: 'receiver answered 503',
        nextAttemptTime: '2026-11-30T12:00:10Z',
      },
    };
    const table = convertor.toTable(
      info('deliveries', 'Delivery'),
      { items: [d] },
      true,
      'None',
      'meta.k8s.io/v1',
      now,
    );
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Trigger',
      'Image',
      'State',
      'Attempts',
      'Last Code',
      'Age',
      'URL',
      'Next Attempt',
      'Last Error',
    ]);
    expect(table.rows[0]!.cells).toEqual([
      'msg_1',
      'Deployment/web',
      'sha256:ab12ab12ab12',
      'pending',
      2,
      503,
      '30s',
      'https://r/',
      '10s',
      'receiver answered 503',
    ]);
    const s = {
      metadata: { name: 'hook-key', creationTimestamp: '2026-11-28T12:00:00Z' },
      dataKeys: ['key', 'previousKey'],
    };
    expect(
      convertor.toTable(info('triggersecrets', 'TriggerSecret'), s, false, 'None', 'meta.k8s.io/v1', now)
        .rows[0]!.cells,
    ).toEqual(['hook-key', 'key,previousKey', '2d']);
  });
});
