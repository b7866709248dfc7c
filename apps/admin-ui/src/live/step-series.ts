import type { StepMetrics } from '../api/types.js';

/**
 * A run's per-step metrics as they arrive: a full read (GET /v1/runs/{id}/metrics) and the live
 * `steps` events (the rows whose aggregates changed). A row sent live while a full read was in
 * flight is newer than that read's copy of it, so it is kept over it.
 */
export class StepSeries {
  private readonly rows = new Map<number, StepMetrics>();
  private liveSinceRead = new Set<number>();

  /** Call when a full read starts. */
  beginRead(): void {
    this.liveSinceRead = new Set();
  }

  /** A full read's rows: they replace everything but the rows sent live since it started. */
  applyRead(rows: readonly StepMetrics[]): void {
    const live = new Map([...this.liveSinceRead].map((step) => [step, this.rows.get(step)]));
    this.rows.clear();
    for (const row of rows) this.rows.set(row.step, row);
    for (const [step, row] of live) if (row) this.rows.set(step, row);
  }

  /** Rows of a live `steps` event. */
  applyLive(rows: readonly StepMetrics[]): void {
    for (const row of rows) {
      this.rows.set(row.step, row);
      this.liveSinceRead.add(row.step);
    }
  }

  /** Every row, by step. */
  sorted(): StepMetrics[] {
    return [...this.rows.values()].sort((a, b) => a.step - b.step);
  }
}

/** A live `steps` event's data, checked enough to merge: an array of rows with a numeric step. */
export function asStepRows(data: unknown): StepMetrics[] {
  if (!Array.isArray(data)) throw new Error('a steps event must carry an array of step rows');
  return data.filter(
    (row): row is StepMetrics =>
      typeof row === 'object' && row !== null && typeof (row as { step?: unknown }).step === 'number',
  );
}
