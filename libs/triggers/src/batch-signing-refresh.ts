import { type DeliveryRow, signingSecretOf } from './delivery-claim';

interface ReloadedKeys {
  owner_uid: string;
  delivery: DeliveryRow['delivery'];
  secret: DeliveryRow['secret'];
}

/** The owners' spec.delivery and signing-secret data, as the claim reads them (delivery-claim.ts). */
const reloadSql = `
  SELECT t.uid::text AS owner_uid, t.body->'spec'->'delivery' AS delivery, s.body->'data' AS secret
    FROM triggers t
    LEFT JOIN trigger_secrets s ON ${signingSecretOf('t', 's')}
   WHERE t.uid = ANY($1::uuid[])`;

/**
 * Keeps the signing keys and headers of a batch's rows current while they wait for their
 * receivers. The claim reads them once for the whole batch, but a row may wait seconds for a slot
 * of a slow or rate-limited receiver (up to the lease, see BatchSendQueue); a secret rotated
 * meanwhile must sign what is sent after the rotation commits (a receiver may switch to the new
 * key at once). So before a row's POST, once `freshForMs` has passed since its keys were read, they
 * are read again, together with those of the rows still waiting (one statement for all of them,
 * shared by the senders that need it meanwhile). Rows already sent are never touched: the outcome
 * of a POST is judged against the spec.delivery it was sent with (see recordOutcomeOnTrigger).
 */
export class BatchSigningRefresh<R extends DeliveryRow> {
  private readonly readAt = new Map<string, number>();
  private reading: Promise<void> | null = null;

  constructor(
    private readonly query: (sql: string, params: unknown[]) => Promise<ReloadedKeys[]>,
    private readonly freshForMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The rows' keys were just read (by their claim). */
  claimed(rows: readonly R[]): void {
    const t = this.now();
    for (const row of rows) this.readAt.set(row.id, t);
  }

  /** Resolves once `row`'s keys and headers were read no longer than freshForMs ago (`waiting`: the rows not yet handed out). */
  async fresh(row: R, waiting: () => readonly R[]): Promise<void> {
    while (this.now() - (this.readAt.get(row.id) ?? -Infinity) >= this.freshForMs) {
      this.reading ??= this.read([row, ...waiting()]).finally(() => (this.reading = null));
      await this.reading;
    }
  }

  private async read(rows: R[]): Promise<void> {
    const byOwner = new Map<string, R[]>();
    for (const row of rows) byOwner.set(row.owner_uid, [...(byOwner.get(row.owner_uid) ?? []), row]);
    try {
      const found = await this.query(reloadSql, [[...byOwner.keys()]]);
      const current = new Map(found.map((f) => [f.owner_uid, f]));
      for (const [owner, owned] of byOwner) {
        // An owner gone meanwhile has no keys: its row is not signed with a deleted secret (the delivery goes with its owner).
        const f = current.get(owner);
        for (const row of owned) {
          row.delivery = f?.delivery ?? null;
          row.secret = f?.secret ?? null;
        }
      }
    } catch {
      // Freshness only: the keys as claimed still sign (the POST is what the batch must not lose).
    }
    const t = this.now();
    for (const row of rows) this.readAt.set(row.id, t);
  }
}
