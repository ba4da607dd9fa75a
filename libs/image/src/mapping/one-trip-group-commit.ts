import { type Database, noteChange } from '@app/persistence';
import { mappingGroupSize, mappingGroupsRetriedAlone, mappingsWaitingForGroup } from './mapping-group-metrics';
import { lockStreamStatement, type OneTripMapping, oneTripMappingStatement, type OneTripResult, oneTripResultOf } from './one-trip-mapping';

/** How concurrent one-trip mappings share transactions. */
export interface GroupCommitLimits {
  /** Transactions of grouped mappings in flight at once; a mapping that finds fewer starts one at once. */
  concurrency: number;
  /** Mappings in one transaction at most. */
  maxGroup: number;
}

interface Waiting {
  mapping: OneTripMapping;
  resolve: (result: OneTripResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs one-trip mappings (oneTripMappingStatement) that arrive while others are at Postgres
 * together, in one transaction and one round trip: BEGIN, then each mapping's lock and statement,
 * then one COMMIT. Under load most of a lone mapping's cost in Postgres is per transaction (the
 * round trip, BEGIN and COMMIT, the WAL flush), so sharing them lets more mappings through on
 * the same CPU. A mapping that arrives when fewer than `concurrency` groups are in flight goes at
 * once, alone: grouping never delays a mapping on an idle server.
 *
 * Semantics are those of separate transactions committed together:
 * - Each mapping still locks its stream with a statement of its own before its mapping
 *   statement, so it reads the stream's newest history (READ COMMITTED: one snapshot per
 *   statement), including what an earlier mapping of the same group wrote.
 * - A group takes its stream locks in (namespace, stream) order, mappings of one stream in
 *   arrival order (a stable sort): two groups never wait for each other in a cycle.
 * - The statement raises no error for a mapping's content (it was validated before), so a group
 *   fails only as a whole (the connection, a deadlock with another writer, which Database
 *   retries). Then, rather than fail mappings that might have succeeded alone, each runs again in
 *   a transaction of its own, and only its own error reaches its caller.
 */
export class OneTripGroupCommit {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Database,
    private readonly limits: GroupCommitLimits,
  ) {}

  /** Runs the mapping (grouped with others when the server is busy) and resolves once it committed. */
  run(mapping: OneTripMapping): Promise<OneTripResult> {
    return new Promise<OneTripResult>((resolve, reject) => {
      this.waiting.push({ mapping, resolve, reject });
      this.startGroups();
      mappingsWaitingForGroup.set(this.waiting.length);
    });
  }

  private startGroups(): void {
    while (this.inFlight < this.limits.concurrency && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.limits.maxGroup);
      mappingsWaitingForGroup.set(this.waiting.length);
      this.inFlight++;
      void this.commitGroup(group).finally(() => {
        this.inFlight--;
        this.startGroups();
      });
    }
  }

  private async commitGroup(group: Waiting[]): Promise<void> {
    mappingGroupSize.observe(group.length);
    if (group.length === 1) {
      const only = group[0]!;
      await this.commitAlone(only.mapping).then(only.resolve, only.reject);
      return;
    }
    const ordered = inLockOrder(group);
    let results: OneTripResult[];
    try {
      results = await this.db.transaction(async (tx) => {
        const rows = await tx.commitWith(ordered.flatMap((w) => [lockStreamStatement(w.mapping.namespace, w.mapping.stream), oneTripMappingStatement(w.mapping)]));
        const outcomes = ordered.map((_, i) => oneTripResultOf(rows[2 * i + 1]![0]));
        if (outcomes.some(changedAnything)) noteChange(tx);
        return outcomes;
      });
    } catch {
      mappingGroupsRetriedAlone.inc();
      // Nothing of the group committed: each mapping runs again alone, so that one mapping's
      // failure is reported to its own caller only. One after another: a group may be larger
      // than the connection pool, and this path is rare.
      for (const w of ordered) await this.commitAlone(w.mapping).then(w.resolve, w.reject);
      return;
    }
    ordered.forEach((w, i) => w.resolve(results[i]!));
  }

  private commitAlone(mapping: OneTripMapping): Promise<OneTripResult> {
    return this.db.transaction(async (tx) => {
      const [, rows] = await tx.commitWith([lockStreamStatement(mapping.namespace, mapping.stream), oneTripMappingStatement(mapping)]);
      const result = oneTripResultOf(rows![0]);
      if (changedAnything(result)) noteChange(tx);
      return result;
    });
  }
}

function changedAnything(result: OneTripResult): boolean {
  return result.state === 'done' && (result.imageCreated || result.tagChanged);
}

/** The group sorted by stream (namespace, then name), keeping arrival order within a stream. */
export function inLockOrder<T extends { mapping: Pick<OneTripMapping, 'namespace' | 'stream'> }>(group: readonly T[]): T[] {
  return group
    .map((w, arrival) => ({ w, arrival }))
    .sort((a, b) => compare(a.w.mapping.namespace, b.w.mapping.namespace) || compare(a.w.mapping.stream, b.w.mapping.stream) || a.arrival - b.arrival)
    .map(({ w }) => w);
}

/** Byte order, as Postgres's "C" collation would compare; the order only has to be the same for every group. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
