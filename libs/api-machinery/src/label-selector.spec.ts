import { ApiError } from './api-error';
import { matchesLabels, parseLabelSelector } from './label-selector';

describe('parseLabelSelector', () => {
  it.each([
    ['', []],
    ['a=b', [{ key: 'a', op: 'in', values: ['b'] }]],
    ['a==b', [{ key: 'a', op: 'in', values: ['b'] }]],
    ['a!=b', [{ key: 'a', op: 'notin', values: ['b'] }]],
    ['env in (prod, qa)', [{ key: 'env', op: 'in', values: ['prod', 'qa'] }]],
    ['env notin (dev)', [{ key: 'env', op: 'notin', values: ['dev'] }]],
    // apimachinery: `()` is the set of the empty value, and empty items are the empty value.
    ['env in ()', [{ key: 'env', op: 'in', values: [''] }]],
    ['env notin (,dev,)', [{ key: 'env', op: 'notin', values: ['', 'dev'] }]],
    ['app.kubernetes.io/name', [{ key: 'app.kubernetes.io/name', op: 'exists' }]],
    ['!legacy', [{ key: 'legacy', op: '!exists' }]],
    ['replicas>3', [{ key: 'replicas', op: 'gt', value: 3n }]],
    ['replicas < 10', [{ key: 'replicas', op: 'lt', value: 10n }]],
    [
      'a=b,env in (x,y),!z',
      [
        { key: 'a', op: 'in', values: ['b'] },
        { key: 'env', op: 'in', values: ['x', 'y'] },
        { key: 'z', op: '!exists' },
      ],
    ],
  ])('parses %j', (input, expected) => {
    expect(parseLabelSelector(input)).toEqual(expected);
  });

  it.each(['a=b,', 'a b', '=b', 'a=b c', 'Bad Key=x', 'a=' + 'x'.repeat(64), 'n>x', 'n>', 'n>=3', 'n>-1', 'n>99999999999999999999'])('rejects %j with 400', (input) => {
    let thrown: unknown;
    try {
      parseLabelSelector(input);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).code).toBe(400);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', env: 'prod', n: '4', big: '99999999999999999999' };
  it('`in ()` selects a label that is present and empty', () => {
    expect(matchesLabels(parseLabelSelector('tier in ()'), { tier: '' })).toBe(true);
    expect(matchesLabels(parseLabelSelector('tier notin ()'), { tier: '' })).toBe(false);
  });

  it.each([
    ['app=web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['env in (prod,qa)', true],
    ['env notin (prod)', false],
    ['env in ()', false],
    ['env notin ()', true],
    ['missing in ()', false],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app=web,env=qa', false],
    ['n>3', true],
    ['n>4', false],
    ['n<5', true],
    ['n<4', false],
    ['app>1', false],
    ['missing<1', false],
    ['big>1', false],
  ])('%s → %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });
});
