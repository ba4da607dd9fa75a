import type { ChangeRecord } from '@app/persistence';

/**
 * Change-log objects as served (computed state filled in), shared by every watch of this process.
 * A change reaches all watchers of its resource at about the same time: the first one reads the
 * computed state (one query for its whole batch), the others reuse it, even while that read is
 * still in flight. Each entry is keyed by the change's resourceVersion, which is unique across
 * resources; a presented object is never mutated after it is stored. Bounded (oldest out first).
 */
export class PresentedChanges {
  private readonly entries = new Map<string, Promise<object>>();

  constructor(private readonly capacity = 5000) {}

  /**
   * The presented object of each change, in order; `present` is called once, for the changes no
   * watch has presented yet. A failed read is forgotten, so the next watch tries again.
   */
  async get(changes: ChangeRecord[], present: (changes: ChangeRecord[]) => Promise<object[]>): Promise<object[]> {
    const missing = changes.filter((c) => !this.entries.has(c.rv));
    if (missing.length) {
      const read = present(missing);
      missing.forEach((c, i) => {
        const entry = read.then((objects) => objects[i]!);
        // Readers of this entry see the failure through `read` too; this copy must not go unhandled.
        entry.catch(() => this.entries.delete(c.rv));
        this.entries.set(c.rv, entry);
      });
    }
    const wanted = changes.map((c) => this.entries.get(c.rv)!);
    this.evict();
    return Promise.all(wanted);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    // Maps iterate in insertion order: the first keys are the oldest.
    for (const rv of this.entries.keys()) {
      if (this.entries.size <= this.capacity) return;
      this.entries.delete(rv);
    }
  }
}
