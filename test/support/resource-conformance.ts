import { call, watchEvents } from '@app/testing';
import { Client } from 'pg';
import { compactChangeLog } from '@app/persistence';
import type { TestApi } from './api-server';
import { pollUntil } from './poll';

/** What the generic conformance suite needs to know about one stored kind. */
export interface KindFixture {
  kind: string;
  resource: string;
  namespaced: boolean;
  /** A valid new object named `name`. */
  newObject(name: string, labels?: Record<string, string>): Record<string, any>;
  /** A spec change that must bump generation (undefined for kinds without spec). */
  changeSpec?(obj: Record<string, any>): void;
  /** Kinds with a /status subresource: a status value to write and read back. */
  status?: { write(obj: Record<string, any>): void; read(obj: Record<string, any>): unknown };
  /** The stored name for a fixture name (Images are named by digest). */
  nameOf?(name: string): string;
  /** Names that must be rejected with 422. */
  invalidName: string;
}

const jsonHeaders = { 'content-type': 'application/json' };

/**
 * The resource rules every stored kind must keep (after kubernetes/apiserver resttest): create,
 * get, conflicts, validation, generation, status/spec separation, pagination, dry-run, patch,
 * delete and watch from a resourceVersion, with 410 once the change log is compacted.
 */
export function describeConformance(fixture: KindFixture, getApi: () => TestApi): void {
  const collection = (ns = 'conf') =>
    fixture.namespaced ? `${getApi().base}/namespaces/${ns}/${fixture.resource}` : `${getApi().base}/${fixture.resource}`;
  const storedName = (name: string) => (fixture.nameOf ? fixture.nameOf(name) : name);
  const item = (name: string) => `${collection()}/${encodeURIComponent(storedName(name))}`;
  let counter = 0;
  const fresh = (prefix: string) => `${prefix}-${++counter}`;
  const create = async (name: string, labels?: Record<string, string>) => {
    const res = await call('POST', collection(), fixture.newObject(name, labels));
    expect(res.status).toBe(201);
    return res.body;
  };

  describe(`${fixture.kind} conformance`, () => {
    it('creates with server-set metadata and reads it back', async () => {
      const name = fresh('c');
      const created = await create(name);
      expect(created.kind).toBe(fixture.kind);
      expect(created.apiVersion).toBe('image.openshift.io/v1');
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const got = await call('GET', item(name));
      expect(got.status).toBe(200);
      expect(got.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    });

    it('ignores client-set uid, resourceVersion and creationTimestamp on create', async () => {
      const obj = fixture.newObject(fresh('meta'));
      obj['metadata'] = { ...obj['metadata'], uid: 'x', resourceVersion: '999999', creationTimestamp: '2000-01-01T00:00:00Z' };
      const res = await call('POST', collection(), obj);
      expect(res.status).toBe(201);
      expect(res.body.metadata.uid).not.toBe('x');
      expect(res.body.metadata.creationTimestamp).not.toBe('2000-01-01T00:00:00Z');
    });

    it('answers 409 AlreadyExists for a duplicate name and 404 NotFound for a missing one', async () => {
      const name = fresh('dup');
      await create(name);
      const dup = await call('POST', collection(), fixture.newObject(name));
      expect(dup.status).toBe(409);
      expect(dup.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409, details: { name: storedName(name), kind: fixture.resource } });
      const missing = await call('GET', item('does-not-exist'));
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    });

    it('generates names from generateName', async () => {
      const obj = fixture.newObject('');
      delete obj['metadata'].name;
      obj['metadata'].generateName = 'gen-';
      const res = await call('POST', collection(), obj);
      expect(res.status).toBe(201);
      expect(res.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    });

    it('validates generateName itself before the generated name (ValidateObjectMeta order)', async () => {
      const obj = fixture.newObject('');
      delete obj['metadata'].name;
      obj['metadata'].generateName = 'a/b';
      const res = await call('POST', collection(), obj);
      expect(res.status).toBe(422);
      const causes = res.body.details.causes as { field: string; message: string }[];
      expect(causes[0]).toEqual({ reason: 'FieldValueInvalid', field: 'metadata.generateName', message: `Invalid value: "a/b": may not contain '/'` });
      expect(causes[1]).toMatchObject({ field: 'metadata.name', message: expect.stringMatching(/^Invalid value: "a\/b[a-z0-9]{5}": may not contain '\/'$/) });
      expect(res.body.details.name).toMatch(/^a\/b[a-z0-9]{5}$/);
    });

    it('rejects an invalid name with 422 and stores nothing', async () => {
      const res = await call('POST', collection(), fixture.newObject(fixture.invalidName));
      expect(res.status).toBe(422);
      expect(res.body.reason).toBe('Invalid');
      expect(res.body.details.causes[0].field).toBe('metadata.name');
    });

    it('PUT without resourceVersion is 422, with a stale one 409, and neither changes anything', async () => {
      const name = fresh('rv');
      const created = await create(name);
      const noRv = structuredClone(created);
      delete noRv.metadata.resourceVersion;
      noRv.metadata.labels = { changed: 'yes' };
      const r1 = await call('PUT', item(name), noRv);
      expect(r1.status).toBe(422);
      expect(r1.body.details.causes[0]).toMatchObject({ field: 'metadata.resourceVersion' });
      const ok = await call('PUT', item(name), { ...created, metadata: { ...created.metadata, labels: { v: '1' } } });
      expect(ok.status).toBe(200);
      expect(BigInt(ok.body.metadata.resourceVersion)).toBeGreaterThan(BigInt(created.metadata.resourceVersion));
      const stale = await call('PUT', item(name), { ...created, metadata: { ...created.metadata, labels: { v: '2' } } });
      expect(stale.status).toBe(409);
      expect(stale.body.reason).toBe('Conflict');
      const after = await call('GET', item(name));
      expect(after.body.metadata.labels).toEqual({ v: '1' });
      expect(after.body.metadata.resourceVersion).toBe(ok.body.metadata.resourceVersion);
    });

    it('a no-op PUT keeps the resourceVersion', async () => {
      const name = fresh('noop');
      const created = await create(name);
      const res = await call('PUT', item(name), created);
      expect(res.status).toBe(200);
      expect(res.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    });

    it('rejects a body whose name differs from the URL (400) and bad JSON (400) and content types (415)', async () => {
      const name = fresh('shape');
      const created = await create(name);
      const other = await call('PUT', item(name), { ...created, metadata: { ...created.metadata, name: 'other' } });
      expect(other.status).toBe(400);
      const bad = await call('POST', collection(), '{"metadata": ', 'application/json');
      expect(bad.status).toBe(400);
      expect(bad.body.kind).toBe('Status');
      // kube's negotiation.NewUnsupportedMediaTypeError: the serializer's media types (no patch types, no "got"), no details.
      const wrongType = await call('POST', collection(), 'x', 'text/plain');
      expect([wrongType.status, wrongType.body.reason, wrongType.body.message, wrongType.body.details]).toEqual([
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
        undefined,
      ]);
      const wrongPut = await call('PUT', item(name), 'x', 'text/plain');
      expect([wrongPut.status, wrongPut.body.message]).toEqual([415, wrongType.body.message]);
    });

    it('rejects a body over the size limit with 413', async () => {
      const obj = fixture.newObject(fresh('big'));
      obj['metadata'].annotations = { big: 'x'.repeat(5 * 1024 * 1024) };
      const res = await call('POST', collection(), obj);
      expect(res.status).toBe(413);
      expect(res.body.kind).toBe('Status');
    });

    it('honours dryRun=All on create, update and delete', async () => {
      const name = fresh('dry');
      const dry = await call('POST', `${collection()}?dryRun=All`, fixture.newObject(name));
      expect(dry.status).toBe(201);
      expect((await call('GET', item(name))).status).toBe(404);
      const created = await create(name);
      const upd = await call('PUT', `${item(name)}?dryRun=All`, { ...created, metadata: { ...created.metadata, labels: { dry: 'run' } } });
      expect(upd.status).toBe(200);
      expect(upd.body.metadata.labels).toEqual({ dry: 'run' });
      expect((await call('GET', item(name))).body.metadata.labels).toBeUndefined();
      expect((await call('DELETE', `${item(name)}?dryRun=All`)).status).toBe(200);
      expect((await call('GET', item(name))).status).toBe(200);
      const badDry = await call('POST', `${collection()}?dryRun=Some`, fixture.newObject(fresh('dry')));
      // kube-apiserver: ValidateCreateOptions → 422 Invalid CreateOptions.
      expect(badDry.status).toBe(422);
      expect(badDry.body).toMatchObject({ reason: 'Invalid', details: { kind: 'CreateOptions', causes: [{ field: 'dryRun', reason: 'FieldValueNotSupported' }] } });
    });

    it('a dry run takes no resourceVersion: the collection version stays where it was', async () => {
      const name = fresh('dryrv');
      const created = await create(name);
      const listRv = async () => (await call('GET', `${collection()}?limit=1`)).body.metadata.resourceVersion as string;
      // A list reports the change feed's horizon, which may trail the write just answered by up
      // to its catch-up wait on a loaded machine; it reaches the write without another one.
      const before = await pollUntil(listRv, (rv) => rv === created.metadata.resourceVersion);
      expect(before).toBe(created.metadata.resourceVersion);
      const dryCreate = await call('POST', `${collection()}?dryRun=All`, fixture.newObject(fresh('dryrv')));
      expect(dryCreate.status).toBe(201);
      expect(dryCreate.body.metadata.resourceVersion).toBeUndefined();
      const labelled = { ...created, metadata: { ...created.metadata, labels: { dry: 'run' } } };
      const dryPut = await call('PUT', `${item(name)}?dryRun=All`, labelled);
      expect(dryPut.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      const dryPatch = await call('PATCH', `${item(name)}?dryRun=All`, { metadata: { labels: { dry: 'patch' } } }, 'application/merge-patch+json');
      expect(dryPatch.body.metadata).toMatchObject({ labels: { dry: 'patch' }, resourceVersion: created.metadata.resourceVersion });
      expect((await call('DELETE', `${item(name)}?dryRun=All`)).status).toBe(200);
      expect(await listRv()).toBe(before);
      // The next real write takes the version right after.
      const real = await call('PUT', item(name), labelled);
      expect(BigInt(real.body.metadata.resourceVersion)).toBe(BigInt(before) + 1n);
    });

    it('patches with merge, JSON and strategic merge patches', async () => {
      const name = fresh('patch');
      await create(name);
      const merge = await call('PATCH', item(name), { metadata: { labels: { a: '1' } } }, 'application/merge-patch+json');
      expect(merge.status).toBe(200);
      expect(merge.body.metadata.labels).toEqual({ a: '1' });
      const json = await call('PATCH', item(name), [{ op: 'add', path: '/metadata/labels/b', value: '2' }], 'application/json-patch+json');
      expect(json.body.metadata.labels).toEqual({ a: '1', b: '2' });
      const smp = await call('PATCH', item(name), { metadata: { labels: { a: null } } }, 'application/strategic-merge-patch+json');
      expect(smp.body.metadata.labels).toEqual({ b: '2' });
      const stale = await call(
        'PATCH',
        item(name),
        { metadata: { resourceVersion: '1', labels: { c: '3' } } },
        'application/merge-patch+json',
      );
      expect(stale.status).toBe(409);
      // The router (go-restful, the route's Consumes) refuses it before kube's handler: its own text, through NewGenericServerResponse.
      const routerRefusal = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: '415: Unsupported Media Type', reason: 'UnsupportedMediaType', details: {}, code: 415 };
      const badType = await call('PATCH', item(name), { a: 1 }, 'application/json');
      expect([badType.status, badType.body]).toEqual([415, routerRefusal]);
      const noType = await fetch(item(name), { method: 'PATCH', body: new TextEncoder().encode('{}') });
      expect([noType.status, await noType.json()]).toEqual([415, routerRefusal]);
      const missing = await call('PATCH', item('nope-missing'), { metadata: {} }, 'application/merge-patch+json');
      expect(missing.status).toBe(404);
    });

    if (fixture.changeSpec) {
      it('bumps generation on spec changes only', async () => {
        const name = fresh('gen');
        const created = await create(name);
        expect(created.metadata.generation).toBe(1);
        const labelsOnly = await call('PUT', item(name), { ...created, metadata: { ...created.metadata, labels: { x: 'y' } } });
        expect(labelsOnly.body.metadata.generation).toBe(1);
        const next = structuredClone(labelsOnly.body);
        fixture.changeSpec!(next);
        const specChange = await call('PUT', item(name), next);
        expect(specChange.status).toBe(200);
        expect(specChange.body.metadata.generation).toBe(2);
      });
    }

    if (fixture.status) {
      it('ignores status on the main path and spec on /status', async () => {
        const name = fresh('status');
        const created = await create(name);
        const withStatus = structuredClone(created);
        fixture.status!.write(withStatus);
        const main = await call('PUT', item(name), withStatus);
        expect(main.status).toBe(200);
        expect(fixture.status!.read(main.body)).toEqual(fixture.status!.read(created));
        const viaStatus = structuredClone(main.body);
        fixture.status!.write(viaStatus);
        fixture.changeSpec?.(viaStatus);
        const st = await call('PUT', `${item(name)}/status`, viaStatus);
        expect(st.status).toBe(200);
        expect(fixture.status!.read(st.body)).toEqual(fixture.status!.read(viaStatus));
        expect(st.body.spec).toEqual(main.body.spec);
        expect(st.body.metadata.generation).toBe(main.body.metadata.generation);
        const stale = await call('PUT', `${item(name)}/status`, viaStatus);
        expect(stale.status).toBe(409);
      });
    }

    it('lists with selectors and paginates with limit/continue without gaps or duplicates', async () => {
      const ns = `page-${fixture.resource}`;
      const url = fixture.namespaced ? `${getApi().base}/namespaces/${ns}/${fixture.resource}` : collection();
      const names: string[] = [];
      for (let i = 0; i < 7; i++) {
        const name = `p${i}-${fresh('x')}`;
        const res = await call('POST', url, fixture.newObject(name, { page: 'yes', idx: String(i % 2) }));
        expect(res.status).toBe(201);
        names.push(name);
      }
      const seen: string[] = [];
      let cont = '';
      let pages = 0;
      do {
        const res = await call('GET', `${url}?labelSelector=page%3Dyes&limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.kind).toBe(`${fixture.kind}List`);
        seen.push(...res.body.items.map((i: { metadata: { name: string } }) => i.metadata.name));
        cont = res.body.metadata.continue ?? '';
        pages++;
      } while (cont && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(names.map(storedName).sort());
      const odd = await call('GET', `${url}?labelSelector=page%3Dyes,idx%20in%20(1)`);
      expect(odd.body.items).toHaveLength(3);
      const byName = await call('GET', `${url}?fieldSelector=metadata.name%3D${storedName(names[0]!)}`);
      expect(byName.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([storedName(names[0]!)]);
      expect((await call('GET', `${url}?fieldSelector=spec.nope%3D1`)).status).toBe(400);
      expect((await call('GET', `${url}?labelSelector=a%20b`)).status).toBe(400);
    });

    it('watches from a resourceVersion: ADDED, MODIFIED, DELETED; selectors apply', async () => {
      const list = await call('GET', collection());
      const rv = list.body.metadata.resourceVersion;
      const w = watchEvents(`${collection()}?watch=true&resourceVersion=${rv}&labelSelector=w%3Dyes`);
      const name = fresh('w');
      const created = await create(name, { w: 'yes' });
      await create(fresh('unwatched'), { w: 'no' });
      const upd = await call('PUT', item(name), { ...created, metadata: { ...created.metadata, labels: { w: 'yes', v: '2' } } });
      expect(upd.status).toBe(200);
      expect((await call('DELETE', item(name))).status).toBe(200);
      await w.waitFor((e) => e.some((x) => x.type === 'DELETED'));
      w.stop();
      expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(w.events[0]!.object).toMatchObject({ kind: fixture.kind, metadata: { name: storedName(name) } });
      expect(w.events[1]!.object.metadata.labels).toEqual({ w: 'yes', v: '2' });
      expect(BigInt(w.events[2]!.object.metadata.resourceVersion)).toBeGreaterThan(BigInt(upd.body.metadata.resourceVersion));
    });

    it('watch without resourceVersion starts with ADDED for existing objects, then sends BOOKMARKs on request', async () => {
      const name = fresh('initial');
      await create(name, { initial: name });
      const w = watchEvents(`${collection()}?watch=1&labelSelector=initial%3D${name}&allowWatchBookmarks=true&timeoutSeconds=3`);
      await w.waitFor((e) => e.length >= 1);
      expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: storedName(name) } } });
      await w.done;
      expect(w.events.slice(1).every((e) => e.type === 'BOOKMARK')).toBe(true);
    });

    it('answers a watch from a compacted resourceVersion with an ERROR 410 Expired event', async () => {
      const first = await create(fresh('old'));
      await create(fresh('newer'));
      const pg = new Client({ connectionString: getApi().databaseUrl });
      await pg.connect();
      try {
        await compactChangeLog({ query: async (sql, params) => (await pg.query(sql, params)).rows }, 0);
      } finally {
        await pg.end();
      }
      const w = watchEvents(`${collection()}?watch=true&resourceVersion=${BigInt(first.metadata.resourceVersion) - 1n}`);
      await w.done;
      expect(w.events).toHaveLength(1);
      expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', reason: 'Expired', code: 410 } });
      const list = await call('GET', `${collection()}?limit=1`);
      if (list.body.metadata.continue) {
        // A continue token taken before compaction is also expired; this one was taken after, so it works.
        expect((await call('GET', `${collection()}?limit=1&continue=${encodeURIComponent(list.body.metadata.continue)}`)).status).toBe(200);
      }
    });

    it('deletes with preconditions: a wrong uid is 409, then 200 Status and 404', async () => {
      const name = fresh('del');
      const created = await create(name);
      const wrong = await fetch(item(name), { method: 'DELETE', headers: jsonHeaders, body: JSON.stringify({ preconditions: { uid: 'nope' } }) });
      expect(wrong.status).toBe(409);
      const ok = await call('DELETE', item(name));
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: storedName(name), uid: created.metadata.uid } });
      expect((await call('GET', item(name))).status).toBe(404);
      expect((await call('DELETE', item(name))).status).toBe(404);
    });
  });
}
