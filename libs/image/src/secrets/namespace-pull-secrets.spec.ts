import type { Queryable } from '@app/persistence';
import { dockerConfigEntries } from './docker-config';
import { namespacePullCredentials } from './namespace-pull-secrets';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('dockerConfigEntries', () => {
  it('reads username/password, or the auth string (which wins, as kube decodes it over them), of .dockerconfigjson and .dockercfg', () => {
    const json = Buffer.from(
      JSON.stringify({ auths: { a: { username: 'u', password: 'p' }, b: { auth: b64('v:q:r') }, c: { email: 'x' }, d: { username: 'u', password: 'p', auth: b64('w:z') } } }),
    );
    expect(dockerConfigEntries(json, true)).toEqual([
      { registry: 'a', credentials: { username: 'u', password: 'p' } },
      { registry: 'b', credentials: { username: 'v', password: 'q:r' } },
      { registry: 'd', credentials: { username: 'w', password: 'z' } },
    ]);
    const cfg = Buffer.from(JSON.stringify({ a: { auth: b64('u:p') } }));
    expect(dockerConfigEntries(cfg, false)).toEqual([{ registry: 'a', credentials: { username: 'u', password: 'p' } }]);
    expect(dockerConfigEntries(Buffer.from('not json'), true)).toEqual([]);
  });
});

describe('namespacePullCredentials', () => {
  const row = (type: string, auths: Record<string, unknown>) =>
    type === 'kubernetes.io/dockerconfigjson'
      ? { type, data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } }
      : { type, data: { '.dockercfg': b64(JSON.stringify(auths)) } };

  it('the first secret (rows come in name order) with an entry for the host wins; Docker Hub names are one', async () => {
    const rows = [
      row('kubernetes.io/dockercfg', { 'https://index.docker.io/v1/': { username: 'hub', password: '1' } }),
      row('kubernetes.io/dockerconfigjson', { 'registry.example.com:5000': { username: 'first', password: '2' }, 'docker.io': { username: 'late', password: '3' } }),
      row('kubernetes.io/dockerconfigjson', { 'https://registry.example.com:5000': { username: 'second', password: '4' } }),
    ];
    const q = { query: () => Promise.resolve(rows) } as unknown as Queryable;
    const credentials = await namespacePullCredentials(q, 'ns');
    expect(credentials('registry-1.docker.io', 'library/nginx')).toEqual({ username: 'hub', password: '1' });
    expect(credentials('registry.example.com:5000', 'team/app')).toEqual({ username: 'first', password: '2' });
    expect(credentials('registry.example.com', 'team/app')).toBeUndefined();
    expect(credentials('quay.io', 'team/app')).toBeUndefined();
  });
});
