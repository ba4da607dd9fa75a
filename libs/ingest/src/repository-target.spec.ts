import { repositoryTarget } from './repository-target';

describe('repositoryTarget', () => {
  it.each([
    ['myproject/myapp', { namespace: 'myproject', name: 'myapp' }],
    ['ns/app.v2-x_y', { namespace: 'ns', name: 'app.v2-x_y' }],
  ])('%s → %j', (repo, target) => {
    expect(repositoryTarget(repo)).toEqual(target);
  });

  it.each([
    ['single', /not of the form <namespace>\/<name> \(1 path component\)/],
    ['a/b/c', /\(3 path components\)/],
    ['my_ns/app', /does not map to an image stream: namespace/],
    [`${'n'.repeat(64)}/app`, /namespace: Invalid value: "n+": must be no more than 63 characters$/],
    ['a.b/app', /namespace: Invalid value: "a.b": must not contain dots/],
    ['ns/App', /metadata\.name/],
  ])('%s is ignored with the reason', (repo, reason) => {
    const t = repositoryTarget(repo);
    expect('ignored' in t && t.ignored).toMatch(reason);
  });
});
