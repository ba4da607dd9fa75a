import { call } from '@app/testing';
import { putImage, registryStackFixture, waitFor } from './ingest-harness';
import { failOnce } from './support/fail-once';
import { describeWithRegistry } from './support/registry';

const NS = 'gaterun';

/**
 * Database.transaction runs a transaction again after a deadlock or a version the change feed
 * closed (a gate held past the grace period). The ingest gate's settlements are counted once that
 * COMMIT succeeded: a gate run twice counts only what its last run committed.
 */
describeWithRegistry('registry ingestion: a gate transaction that runs twice', () => {
  const fixture = registryStackFixture();

  const processed = async (outcome: string): Promise<number> => {
    const text = await (await fetch(`${fixture.stack().api.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('imagestreamd_registry_events_processed_total{') && l.includes('kind="manifest-push"') && l.includes(`outcome="${outcome}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('counts a push settled in a gate whose first COMMIT failed once', async () => {
    const stack = fixture.stack();
    const repository = `${NS}/app`;
    const image = await fixture.layout().addImage('v1', { seed: 'gate-rerun-v1' });
    const before = await processed('tagged');
    // The gate's COMMIT carries the settlement: failing it fails the whole gate, which runs again.
    const failing = await failOnce(
      stack.pg,
      'gate_settlement',
      'registry_events',
      'UPDATE',
      `OLD.state = 'pending' AND NEW.state = 'processed' AND NEW.repository = '${repository}'`,
    );
    try {
      await putImage(stack.registry!.url, repository, fixture.layout().dir, image, 'v1');
      const settled = await waitFor('push settled', async () => {
        const { rows } = await stack.pg.query<{ state: string; outcome: string }>(
          `SELECT state, outcome FROM registry_events WHERE repository = $1 AND kind = 'manifest-push' AND tag = 'v1'`,
          [repository],
        );
        return rows[0] && rows[0].state !== 'pending' ? rows[0] : null;
      });
      expect(settled).toEqual({ state: 'processed', outcome: 'tagged' });
      // The first COMMIT failed, the second went through.
      expect(await failing.seen()).toBe(2);
      const istag = await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreamtags/app:v1`);
      expect(istag.body.image?.metadata?.name).toBe(image.manifestDigest);
      expect((await processed('tagged')) - before).toBe(1);
    } finally {
      await failing.remove();
    }
  });
});
