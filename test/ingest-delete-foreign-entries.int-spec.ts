import { call } from '@app/testing';
import { registryStackFixture, waitFor } from './ingest-harness';
import { deleteManifest, describeWithRegistry, skopeoCopy } from './support/registry';

const NS = 'delscope';

/**
 * A manifest deleted from a repository takes out of its stream the history entries that name the
 * digest in that repository only. The same digest imported into the stream from another repository
 * (ImageStreamImport) is still pullable there: its tag keeps it.
 */
describeWithRegistry('manifest deletes remove only what named the deleted manifest', () => {
  const fixture = registryStackFixture();

  const tags = async () => {
    const s = (await call('GET', `${fixture.stack().api.base}/namespaces/${NS}/imagestreams/app`)).body;
    return new Map<string, { image: string; dockerImageReference: string }[]>(
      ((s?.status?.tags ?? []) as { tag: string; items: { image: string; dockerImageReference: string }[] }[]).map((t) => [t.tag, t.items]),
    );
  };
  const settledAll = () =>
    waitFor('inbox drained', async () => Number((await fixture.stack().pg.query(`SELECT count(*) AS n FROM registry_events WHERE state = 'pending'`)).rows[0].n) === 0);

  it('an entry of the same digest imported from another repository stays', async () => {
    const host = fixture.stack().registry!.host;
    const image = await fixture.layout().addImage('shared', { seed: 'delete-scope-shared' });
    const other = await fixture.layout().addImage('other', { seed: 'delete-scope-other' });
    // The image lives in two repositories of the registry; this stream gets it from both.
    await skopeoCopy(fixture.layout().dir, 'shared', `${host}/${NS}/src:v1`);
    await skopeoCopy(fixture.layout().dir, 'shared', `${host}/${NS}/app:pushed`);
    await skopeoCopy(fixture.layout().dir, 'other', `${host}/${NS}/app:mixed`);
    await waitFor('pushed tags', async () => (await tags()).has('pushed') && (await tags()).has('mixed'));
    const imported = await call('POST', `${fixture.stack().api.base}/namespaces/${NS}/imagestreamimports`, {
      metadata: { name: 'app' },
      spec: {
        import: true,
        images: [
          { from: { kind: 'DockerImage', name: `${host}/${NS}/src:v1` }, to: { name: 'imported' }, importPolicy: { insecure: true } },
          { from: { kind: 'DockerImage', name: `${host}/${NS}/src:v1` }, to: { name: 'mixed' }, importPolicy: { insecure: true } },
        ],
      },
    });
    expect(imported.status).toBe(201);
    const fromSrc = `${host}/${NS}/src@${image.manifestDigest}`;
    expect((await tags()).get('imported')).toEqual([expect.objectContaining({ image: image.manifestDigest, dockerImageReference: fromSrc })]);
    expect((await tags()).get('mixed')!.map((i) => i.image)).toEqual([image.manifestDigest, other.manifestDigest]);
    await settledAll();

    // Deleting it from app drops the registry's tag `pushed` (one manifest and one tag delete event).
    await deleteManifest(fixture.stack().registry!.url, `${NS}/app`, image.manifestDigest);
    await waitFor('pushed gone', async () => !(await tags()).has('pushed'));
    await waitFor('both delete events settled', async () => {
      const rows = await fixture.stack().pg.query(`SELECT state FROM registry_events WHERE repository = $1 AND kind <> 'manifest-push'`, [`${NS}/app`]);
      return rows.rows.length === 2 && rows.rows.every((r) => r.state !== 'pending');
    });
    const after = await tags();
    // The imported entries name the image where it still is: they stay.
    expect(after.get('imported')).toEqual([expect.objectContaining({ image: image.manifestDigest, dockerImageReference: fromSrc })]);
    expect(after.get('mixed')!.map((i) => i.dockerImageReference)).toEqual([fromSrc, `${host}/${NS}/app@${other.manifestDigest}`]);
  });
});
