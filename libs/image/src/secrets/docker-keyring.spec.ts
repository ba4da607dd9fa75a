import { DockerKeyring, keyMatches, keyringKey, labelMatches } from './docker-keyring';

describe('keyringKey (kube BasicDockerKeyring.Add)', () => {
  it.each([
    ['registry.example.com:5000', 'registry.example.com:5000'],
    ['https://registry.example.com:5000', 'registry.example.com:5000'],
    ['http://Registry.Example.com/v2/', 'registry.example.com'],
    ['https://registry.example.com/v2/team', 'registry.example.com/team'],
    ['registry.example.com/team/app', 'registry.example.com/team/app'],
    ['registry.example.com/', 'registry.example.com'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['*.example.com', '*.example.com'],
  ])('%s → %s', (location, key) => expect(keyringKey(location)).toBe(key));
});

describe('labelMatches (Go path.Match on one host label)', () => {
  it.each([
    ['*', 'registry', true],
    ['reg*', 'registry', true],
    ['r?gistry', 'registry', true],
    ['[a-s]egistry', 'registry', true],
    ['[^r]egistry', 'registry', false],
    ['registry', 'registr', false],
    ['a.b', 'axb', false],
    ['[', 'x', false],
  ])('%s ~ %s → %s', (pattern, label, matched) => expect(labelMatches(pattern, label)).toBe(matched));
});

describe('keyMatches (kube URLsMatch)', () => {
  it.each([
    ['registry.example.com', 'registry.example.com/team/app', true],
    ['registry.example.com/team', 'registry.example.com/team/app', true],
    ['registry.example.com/other', 'registry.example.com/team/app', false],
    ['*.example.com', 'registry.example.com/team/app', true],
    ['*.example.com', 'a.registry.example.com/team/app', false],
    ['registry.example.com', 'registry.example.com:5000/team/app', false],
    ['registry.example.com:5000', 'registry.example.com:5000/team/app', true],
    ['registry.example.com:5001', 'registry.example.com:5000/team/app', false],
    ['127.0.0.1:5000', '127.0.0.1:5000/team/app', true],
  ])('%s ~ %s → %s', (key, target, matched) => expect(keyMatches(key, target)).toBe(matched));
});

describe('DockerKeyring', () => {
  const login = (username: string) => ({ username, password: `${username}-password` });

  it('the most specific key wins, whatever order the secrets came in; equal keys keep the first', () => {
    const keyring = new DockerKeyring();
    keyring.add([{ registry: 'https://registry.example.com', credentials: login('host') }]);
    keyring.add([
      { registry: 'registry.example.com/team/app', credentials: login('app') },
      { registry: '*.example.com', credentials: login('glob') },
    ]);
    keyring.add([
      { registry: 'registry.example.com/team', credentials: login('team') },
      { registry: 'registry.example.com', credentials: login('late') },
    ]);
    expect(keyring.lookup('registry.example.com', 'team/app')).toEqual(login('app'));
    expect(keyring.lookup('registry.example.com', 'team/other')).toEqual(login('team'));
    expect(keyring.lookup('registry.example.com', 'elsewhere/app')).toEqual(login('host'));
    expect(keyring.lookup('mirror.example.com', 'team/app')).toEqual(login('glob'));
    expect(keyring.lookup('example.com', 'team/app')).toBeUndefined();
    expect(keyring.lookup('registry.example.com:5000', 'team/app')).toBeUndefined();
  });

  it('Docker Hub names are one registry', () => {
    const keyring = new DockerKeyring();
    keyring.add([{ registry: 'https://index.docker.io/v1/', credentials: login('hub') }]);
    expect(keyring.lookup('docker.io', 'library/nginx')).toEqual(login('hub'));
    expect(keyring.lookup('registry-1.docker.io', 'library/nginx')).toEqual(login('hub'));
  });
});
