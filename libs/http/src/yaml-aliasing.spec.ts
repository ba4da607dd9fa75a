import { ApiError } from '@app/api-machinery';
import { decodeObjectBody, decodePatchBody } from './request-body';

/** `levels` anchors, each a list of ten aliases of the one before: 10^(levels+1) strings once expanded. */
function aliasBomb(levels: number): string {
  const lines = ['metadata: {name: bomb}', 'x:', '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= levels; i++) lines.push(`  a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}

function statusOf(run: () => unknown): { code: number; message: string } | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (e) {
    if (e instanceof ApiError) return { code: e.code, message: e.message };
    throw e;
  }
}

const refused = { code: 400, message: 'the request body is not valid YAML: yaml: document contains excessive aliasing' };

describe('YAML bodies: aliases may not expand a short document without bound', () => {
  it('a "billion laughs" body (a few hundred bytes, ten million values expanded) is 400 at once, for objects and apply patches', () => {
    const bomb = Buffer.from(aliasBomb(6));
    expect(bomb.length).toBeLessThan(600);
    const started = Date.now();
    expect(statusOf(() => decodeObjectBody('application/yaml', bomb))).toEqual(refused);
    expect(statusOf(() => decodePatchBody('application/apply-patch+yaml', bomb))).toEqual(refused);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('an alias inside its own anchor (a cycle) is 400', () => {
    expect(statusOf(() => decodeObjectBody('application/yaml', Buffer.from('metadata: &m {name: x, self: *m}')))).toEqual(refused);
    expect(statusOf(() => decodeObjectBody('application/yaml', Buffer.from('metadata: {name: x}\nx: &l [1, [*l]]')))).toEqual(refused);
  });

  it('ordinary aliases still load, shared values included', () => {
    const text = ['metadata: {name: x, labels: &l {app: web}}', 'spec:', '  a: *l', '  b: [*l, *l, *l]', `  c: &big [${Array(1000).fill('v').join(', ')}]`, '  d: [*big, *big, *big, *big]'].join('\n');
    const body = decodeObjectBody('application/yaml', Buffer.from(text)) as { spec: { a: unknown; b: unknown[]; d: unknown[][] } };
    expect(body.spec.a).toEqual({ app: 'web' });
    expect(body.spec.b).toEqual([{ app: 'web' }, { app: 'web' }, { app: 'web' }]);
    expect(body.spec.d.map((l) => l.length)).toEqual([1000, 1000, 1000, 1000]);
  });
});
