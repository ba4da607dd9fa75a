import { randomBytes } from 'node:crypto';
import { call } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

/**
 * The signing secret never appears in an answer, errors included: a patch that does not decode (a
 * key given as a list next to a valid one) or a strategic patch with a bad directive was quoted
 * whole in the error, keys and all; a Trigger's URL password likewise.
 */
describe('patch errors quote no signing key and no URL password', () => {
  let server: TriggerServer;
  const newKey = `whsec_${randomBytes(32).toString('base64')}`;
  const rawNewKey = newKey.slice('whsec_'.length);
  const password = 'pw-Zq81xR';
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;
  const patch = (path: string, type: string, body: unknown) =>
    call('PATCH', `${trg()}/${path}`, body, `application/${type}`);
  const leaks = (answer: { body: unknown }, secret: string) => JSON.stringify(answer.body).includes(secret);

  beforeAll(async () => {
    server = await startTriggerServer();
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    await createTrigger(server.url, 'demo', 'rebuild', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, 'http://127.0.0.1:9/hook'));
  }, 90000);
  afterAll(async () => {
    await server?.close();
  });

  it('a TriggerSecret patch that does not decode is 422 without the keys it carries', async () => {
    for (const [type, body] of [
      ['merge-patch+json', { data: { key: newKey, previousKey: [newKey] } }],
      ['strategic-merge-patch+json', { data: { key: newKey, previousKey: { value: newKey } } }],
      ['json-patch+json', [{ op: 'add', path: '/data/previousKey', value: { key: newKey } }]],
    ] as const) {
      const answer = await patch('triggersecrets/hook-key', type, body);
      expect(answer.status).toBe(422);
      expect(answer.body.details.causes[0]).toMatchObject({ field: 'patch', message: expect.stringContaining('Invalid value: "<redacted>": json: cannot unmarshal') });
      expect(leaks(answer, rawNewKey)).toBe(false);
    }
  });

  it('a TriggerSecret strategic patch with a bad directive is 400 without the map it quotes', async () => {
    const answer = await patch('triggersecrets/hook-key', 'strategic-merge-patch+json', { data: { key: newKey, $patch: 'bogus' } });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('unknown patch type: bogus in map: <redacted>');
    expect(leaks(answer, rawNewKey)).toBe(false);
  });

  it("a Trigger patch that does not decode shows a URL's userinfo as <redacted>", async () => {
    const answer = await patch('triggers/rebuild', 'merge-patch+json', { spec: { delivery: { url: [`https://ci:${password}@ci.example.com/hook`] } } });
    expect(answer.status).toBe(422);
    expect(answer.body.details.causes[0].message).toContain('https://<redacted>@ci.example.com/hook');
    expect(leaks(answer, password)).toBe(false);
  });
});
