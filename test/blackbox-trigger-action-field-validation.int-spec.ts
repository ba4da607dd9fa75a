import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { digest, TRIGGERS_API } from './support/trigger-resources';

/**
 * Found by black-box acceptance checks of issue 5 (each kind of the group as a Kubernetes API
 * reviewer sees it): `?fieldValidation` applies to DeliveryRedrive and PushPreview bodies as
 * kube-apiserver's decoder applies it to every kind, create-only reviews (TokenReview) included.
 * An undeclared top-level or metadata field was accepted silently even with Strict (what
 * `kubectl create` sends). Their `spec` stays the handlers' to check: an unknown spec field is a
 * 422 in every mode, never dropped (that would widen a redrive to the whole namespace).
 */
describe('DeliveryRedrive and PushPreview field validation, black-box', () => {
  let api: TestApi;
  const trg = () => `${api.url}${TRIGGERS_API}/namespaces/demo`;
  const preview = { metadata: { name: 'base:latest' }, spec: { image: digest('a') } };
  const redrive = { spec: {} };

  beforeAll(async () => {
    api = await startTestApi();
  }, 60000);
  afterAll(async () => {
    await api?.close();
  });

  it.each([
    ['deliveryredrives', 'DeliveryRedrive', redrive],
    ['pushpreviews', 'PushPreview', preview],
  ])('%s: Strict refuses an undeclared field with the decoder wording, Warn warns, Ignore is silent', async (resource, kind, body) => {
    const sent = { extra: 1, ...body, metadata: { ...(body as { metadata?: object }).metadata, bogus: 'x' } };
    const strict = await call('POST', `${trg()}/${resource}?fieldValidation=Strict`, sent);
    expect(strict.status).toBe(400);
    expect(strict.body).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: `${kind} in version "v1" cannot be handled as a ${kind}: strict decoding error: unknown field "extra", unknown field "metadata.bogus"`,
    });

    const warn = await call('POST', `${trg()}/${resource}`, sent);
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"extra\\"", 299 - "unknown field \\"metadata.bogus\\""');
    expect(warn.body.extra).toBeUndefined();

    const ignore = await call('POST', `${trg()}/${resource}?fieldValidation=Ignore`, sent);
    expect(ignore.status).toBe(201);
    expect(ignore.headers.get('warning')).toBeNull();
  });

  it('the spec is still the handler’s: an unknown redrive spec field is 422 whatever fieldValidation says, and a declared body passes Strict', async () => {
    for (const mode of ['Strict', 'Warn', 'Ignore']) {
      const res = await call('POST', `${trg()}/deliveryredrives?fieldValidation=${mode}`, { spec: { trigerr: 'x' } });
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toEqual([expect.objectContaining({ field: 'spec.trigerr', reason: 'FieldValueNotSupported' })]);
    }
    const typed = await call('POST', `${trg()}/deliveryredrives?fieldValidation=Strict`, { spec: { trigger: 5 } });
    expect(typed.status).toBe(422);
    expect(typed.body.details.causes).toEqual([expect.objectContaining({ field: 'spec.trigger' })]);

    const ok = await call('POST', `${trg()}/deliveryredrives?fieldValidation=Strict`, {
      apiVersion: 'triggers.imagestreamd.io/v1',
      kind: 'DeliveryRedrive',
      metadata: { name: 'all', labels: { a: 'b' } },
      spec: {},
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('warning')).toBeNull();
    const previewed = await call('POST', `${trg()}/pushpreviews?fieldValidation=Strict`, { apiVersion: 'triggers.imagestreamd.io/v1', kind: 'PushPreview', ...preview });
    expect(previewed.status).toBe(201);
  });
});
