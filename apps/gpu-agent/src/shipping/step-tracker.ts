interface StepState {
  /** Indices received for the step (to recognise a line seen twice). */
  seen: Set<number>;
  /** Rollouts that reached an end: acknowledged by the API, or reported as unshippable. */
  settled: number;
}

/**
 * Which steps have all their rollouts stored. A step is done when `batchSize` of its rollouts are
 * settled; steps are handed out in order from `startStep`, each once. Memory holds only the steps
 * not done yet.
 */
export class StepTracker {
  private readonly startStep: number;
  private readonly batchSize: number;
  private nextStep: number;
  private readonly steps = new Map<number, StepState>();

  constructor(startStep: number, batchSize: number) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`batchSize must be a positive integer (got ${batchSize})`);
    }
    this.startStep = startStep;
    this.batchSize = batchSize;
    this.nextStep = startStep;
  }

  /** Record a rollout; false when its index was received before (a duplicate line). */
  receive(index: number, step: number): boolean {
    if (step >= this.startStep && step < this.nextStep) return false; // its step is done
    let state = this.steps.get(step);
    if (state === undefined) {
      state = { seen: new Set(), settled: 0 };
      this.steps.set(step, state);
    }
    if (state.seen.has(index)) return false;
    state.seen.add(index);
    return true;
  }

  /** True once every rollout of `step` has been received. */
  isComplete(step: number): boolean {
    return (this.steps.get(step)?.seen.size ?? 0) >= this.batchSize;
  }

  settle(step: number, count: number): void {
    const state = this.steps.get(step);
    if (state !== undefined) state.settled += count;
  }

  /** The steps done since the last call, in step order. */
  takeStored(): number[] {
    const done: number[] = [];
    for (;;) {
      const state = this.steps.get(this.nextStep);
      if (state === undefined || state.settled < this.batchSize) return done;
      this.steps.delete(this.nextStep);
      done.push(this.nextStep);
      this.nextStep += 1;
    }
  }
}
