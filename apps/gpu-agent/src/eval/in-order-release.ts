/**
 * Hands results on in position order whatever order they finish in, so records are numbered
 * (question order, then sample order) and shipped the way a training step's log is: gap-free
 * indices that do not depend on which request came back first. A position that failed is
 * settled with null and skipped without using an index.
 *
 * Results that finish ahead of a slow one wait here; they are at most the questions answered
 * while it was in flight, each a few kilobytes.
 */
export class InOrderRelease<T> {
  private readonly waiting = new Map<number, T | null>();
  private next = 0;

  constructor(
    private readonly count: number,
    private readonly release: (position: number, value: T) => void,
  ) {}

  /** Positions handed on or skipped so far (all of them once `done`). */
  get settled(): number {
    return this.next;
  }

  get done(): boolean {
    return this.next === this.count;
  }

  /** Record the outcome of `position` (null: failed) and release every position now in order. */
  settle(position: number, value: T | null): void {
    if (!Number.isInteger(position) || position < this.next || position >= this.count) {
      throw new RangeError(`position ${position} is not pending (next ${this.next}, count ${this.count})`);
    }
    if (this.waiting.has(position)) throw new RangeError(`position ${position} was already settled`);
    this.waiting.set(position, value);
    while (this.waiting.has(this.next)) {
      const ready = this.waiting.get(this.next) ?? null;
      this.waiting.delete(this.next);
      const position = this.next;
      this.next += 1;
      if (ready !== null) this.release(position, ready);
    }
  }
}
