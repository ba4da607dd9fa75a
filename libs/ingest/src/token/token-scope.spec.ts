import { grantedScope, MAX_SCOPE_LENGTH, MAX_SCOPES, parseScopes, ScopeError } from './token-scope';

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

describe('parseScopes', () => {
  it('leaves out a scope that is not type[(class)]:name:actions, keeping the others (as distribution reference token server)', () => {
    const malformed = ['repository', 'repository::pull', 'Repository:a/b:pull', ':a/b:pull', 'repository:a/b', 'repo(Plugin):a/b:pull'];
    expect(parseScopes([...malformed, 'repository:a/b:pull'])).toEqual([{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
    expect(parseScopes([malformed.join(' ')])).toEqual([]);
  });

  it(`counts a left-out scope against the ${MAX_SCOPES} limit`, () => {
    expect(() => parseScopes([...Array.from({ length: MAX_SCOPES }, () => 'repository'), 'repository:a/b:pull'])).toThrow(ScopeError);
  });
});

describe('parseScopes limits', () => {
  it(`takes up to ${MAX_SCOPES} scopes, across parameters; one more is a ScopeError`, () => {
    const scopes = Array.from({ length: MAX_SCOPES }, (_, i) => `repository:demo/app${i}:pull`);
    expect(parseScopes([scopes.slice(0, 10).join(' '), ...scopes.slice(10)])).toHaveLength(MAX_SCOPES);
    expect(() => parseScopes([...scopes, 'registry:catalog:*'])).toThrow(new ScopeError(`too many scopes: at most ${MAX_SCOPES} in one token request`));
    expect(() => parseScopes([[...scopes, 'registry:catalog:*'].join(' ')])).toThrow(ScopeError);
  });

  it(`refuses a scope longer than ${MAX_SCOPE_LENGTH} characters, quoting only its start`, () => {
    const name = `demo/${'a'.repeat(MAX_SCOPE_LENGTH)}`;
    expect(() => parseScopes([`repository:${name}:pull`])).toThrow(new ScopeError(`invalid scope "repository:${name.slice(0, 53)}…": longer than ${MAX_SCOPE_LENGTH} characters`));
    const longest = `repository:demo/${'a'.repeat(MAX_SCOPE_LENGTH - 'repository:demo/:pull'.length)}:pull`;
    expect(parseScopes([longest])[0]!.actions).toEqual(['pull']);
  });
});
