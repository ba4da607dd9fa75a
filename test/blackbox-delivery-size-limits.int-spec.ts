import { Client } from 'pg';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { createSigningSecret, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

/**
 * Found by black-box security checks of issue 5 (resource exhaustion): a Trigger's
 * `spec.delivery.url`, `spec.delivery.headers` and `spec.target.name` had no size limit but the
 * 4 MiB request body. A 3.6 MB URL was stored, copied into every Delivery row it fired and, with
 * the whole spec, into the change log at each status update: three such Triggers and three pushes
 * grew the database by about 120 MB. No receiver takes such a request either (RFC 9110 §4.1 asks
 * recipients to support URIs of 8000 octets; Node answers 431 past 16 KiB of headers, nginx 400
 * past an 8 KiB header line), so each fire only dead-lettered. The same holds for a
 * TriggerSecret's `header.<Name>` values. They are now 422 `Too long`, checked when set or changed.
 */
describe('Trigger delivery size limits, black-box', () => {
  let api: TestApi;
  const trg = () => `${api.url}${TRIGGERS_API}/namespaces/demo`;
  const create = (name: string, spec: object) => call('POST', `${trg()}/triggers`, { metadata: { name }, spec });
  const base = (url = 'https://hooks.example.com/h') => triggerSpec('base:latest', { kind: 'Webhook', name: 'ci' }, url);

  beforeAll(async () => {
    api = await startTestApi();
    expect((await createSigningSecret(api.url, 'demo')).status).toBe(201);
  }, 60000);
  afterAll(async () => {
    await api?.close();
  });

  it('a URL longer than 8000 bytes is 422 Too long, and its value is not echoed', async () => {
    const ok = await create('url-ok', base(`https://hooks.example.com/${'a'.repeat(8000 - 'https://hooks.example.com/'.length)}`));
    expect(ok.status).toBe(201);
    const long = await create('url-long', base(`https://hooks.example.com/${'a'.repeat(3_000_000)}`));
    expect(long.status).toBe(422);
    expect(long.body.details.causes).toEqual([{ reason: 'FieldValueTooLong', field: 'spec.delivery.url', message: 'Too long: may not be more than 8000 bytes' }]);
    expect(JSON.stringify(long.body).length).toBeLessThan(2000);
  });

  it('a host name longer than 253 characters, or with a label over 63, is 422 (it can never resolve)', async () => {
    const label = await create('host-label', base(`https://${'a'.repeat(64)}.example.com/`));
    expect(label.status).toBe(422);
    expect(label.body.details.causes).toEqual([expect.objectContaining({ field: 'spec.delivery.url', reason: 'FieldValueInvalid' })]);
    expect(label.body.message).toContain('host name labels must be at most 63 characters');
    const long = await create('host-long', base(`https://${Array(6).fill('a'.repeat(50)).join('.')}.com/`));
    expect(long.status).toBe(422);
    expect(long.body.message).toContain('host name must be at most 253 characters');
    expect((await create('host-ok', base(`https://${'a'.repeat(63)}.example.com/`))).status).toBe(201);
  });

  it('spec.delivery.headers over 8 KiB (names and values) is 422 Too long, the values not echoed', async () => {
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, 'v'.repeat(100)]));
    const res = await create('hdr-many', { ...base(), delivery: { ...base().delivery, headers: many } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: 'FieldValueTooLong', field: 'spec.delivery.headers', message: 'Too long: may not be more than 8192 bytes' }]);
    const one = await create('hdr-one', { ...base(), delivery: { ...base().delivery, headers: { 'X-Big': 'v'.repeat(1_000_000) } } });
    expect(one.status).toBe(422);
    expect(JSON.stringify(one.body)).not.toContain('vvvvvvvvvv');
    const fits = await create('hdr-fits', { ...base(), delivery: { ...base().delivery, headers: { 'X-Team': 'v'.repeat(8000) } } });
    expect(fits.status).toBe(201);
  });

  it('a TriggerSecret whose header.<Name> values pass 8 KiB is 422, the values not echoed', async () => {
    const key = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const res = await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'big-headers' }, data: { key, 'header.Authorization': `Bearer ${'t'.repeat(9000)}` } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: 'FieldValueTooLong', field: 'data', message: 'Too long: header.<Name> values may not be more than 8192 bytes' }]);
    expect(JSON.stringify(res.body)).not.toContain('tttttttttt');
    const ok = await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'ok-headers' }, data: { key, 'header.Authorization': `Bearer ${'t'.repeat(4000)}` } });
    expect(ok.status).toBe(201);
  });

  it('spec.target.name longer than 253 characters is 422 Too long', async () => {
    const res = await create('target-long', { ...base(), target: { kind: 'Webhook', name: 'n'.repeat(100_000) } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: 'FieldValueTooLong', field: 'spec.target.name', message: 'Too long: may not be more than 253 bytes' }]);
  });

  it('a Trigger stored before the limits stays editable: the rules apply to the fields a write changes', async () => {
    expect((await create('edit-me', base())).status).toBe(201);
    // As stored by a version without the limits.
    const longUrl = `https://hooks.example.com/${'b'.repeat(9000)}`;
    const bigHeaders = { 'X-Team': 'v'.repeat(9000) };
    const pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    try {
      await pg.query(
        `UPDATE triggers SET body = jsonb_set(jsonb_set(body, '{spec,delivery,url}', to_jsonb($1::text)), '{spec,delivery,headers}', $2::jsonb) WHERE namespace = 'demo' AND name = 'edit-me'`,
        [longUrl, JSON.stringify(bigHeaders)],
      );
    } finally {
      await pg.end();
    }
    const paused = await call('PATCH', `${trg()}/triggers/edit-me`, { spec: { paused: true } }, 'application/merge-patch+json');
    expect(paused.status).toBe(200);
    expect(paused.body.spec.delivery).toMatchObject({ url: longUrl, headers: bigHeaders });
    const changed = await call('PATCH', `${trg()}/triggers/edit-me`, { spec: { delivery: { url: `${longUrl}c` } } }, 'application/merge-patch+json');
    expect(changed.status).toBe(422);
    expect(changed.body.details.causes).toEqual([expect.objectContaining({ field: 'spec.delivery.url', reason: 'FieldValueTooLong' })]);
  });
});
