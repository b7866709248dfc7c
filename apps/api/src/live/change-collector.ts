/** What changed about one run since the last delivery. */
export interface RunChanges {
  /** The runs row changed (its status, progress, attempt, …). */
  run: boolean;
  /** The row is gone. */
  deleted: boolean;
  /** Steps whose aggregates changed; 'all' after notifications may have been lost. */
  steps: Set<number> | 'all';
}

/**
 * Collects change notifications per run for a short window, so that a burst (an ingest batch of
 * several steps, a claim that writes the run twice) becomes one delivery with one query per run.
 * The window opens with the first change and does not slide: under a steady stream of changes a
 * delivery still happens every `windowMs`. `onDue` is called when the window closes; the caller
 * then `take`s the changes.
 */
export class ChangeCollector {
  private pending = new Map<string, RunChanges>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly onDue: () => void,
  ) {}

  /** Runs with changes waiting. */
  get size(): number {
    return this.pending.size;
  }

  runChanged(runId: string, deleted: boolean): void {
    const changes = this.entry(runId);
    changes.run = true;
    changes.deleted ||= deleted;
  }

  stepChanged(runId: string, step: number): void {
    const changes = this.entry(runId);
    if (changes.steps !== 'all') changes.steps.add(step);
  }

  /** Everything about these runs may have changed (notifications were lost). */
  allChanged(runIds: Iterable<string>): void {
    for (const runId of runIds) {
      const changes = this.entry(runId);
      changes.run = true;
      changes.steps = 'all';
    }
  }

  /** Put back changes whose delivery failed, under any that arrived meanwhile. */
  restore(batch: ReadonlyMap<string, RunChanges>): void {
    for (const [runId, old] of batch) {
      const changes = this.entry(runId);
      changes.run ||= old.run;
      changes.deleted ||= old.deleted;
      if (old.steps === 'all') changes.steps = 'all';
      else if (changes.steps !== 'all') for (const step of old.steps) changes.steps.add(step);
    }
  }

  /** Close the window in `delayMs` instead (a delivery to retry later). */
  dueIn(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onDue();
    }, delayMs);
    this.timer.unref();
  }

  /** The changes collected so far; collecting starts afresh. */
  take(): Map<string, RunChanges> {
    const batch = this.pending;
    this.pending = new Map();
    clearTimeout(this.timer);
    this.timer = undefined;
    return batch;
  }

  /** Drop everything (shutdown). */
  clear(): void {
    this.take();
  }

  private entry(runId: string): RunChanges {
    let changes = this.pending.get(runId);
    if (!changes) {
      changes = { run: false, deleted: false, steps: new Set() };
      this.pending.set(runId, changes);
    }
    if (!this.timer) this.dueIn(this.windowMs);
    return changes;
  }
}
