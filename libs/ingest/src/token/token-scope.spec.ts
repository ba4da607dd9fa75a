import { grantedScope, parseScopes } from './token-scope';

describe('grantedScope', () => {
  it('names each granted scope as it was asked (class included), leaving out refused actions and scopes', () => {
    const access = parseScopes([
      'repository:myproject/app:pull,push repository(plugin):myproject/app:pull',
      'registry:catalog:*',
    ]).map((scope, i) => ({
      ...scope,
      actions: [['pull'], ['pull'], []][i]!,
    }));
    expect(grantedScope(access)).toBe('repository:myproject/app:pull repository(plugin):myproject/app:pull');
  });

  it('is empty when nothing is granted', () => {
    expect(grantedScope([{ type: 'repository', name: 'other/app', actions: [] }])).toBe('');
  });
});
