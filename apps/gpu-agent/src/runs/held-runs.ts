import type { HeartbeatRunDto, RunKind } from '@brier/contracts';

import type { StopReason } from '../process/process-group.js';

/** A run this agent claimed and is running: what keeps its lease alive and how to stop it. */
export interface HeldRun {
  runId: string;
  kind: RunKind;
  leaseToken: string;
  attempt: number;
  gpuIndices: readonly number[];
  /** The last step reported complete, for the heartbeat. */
  step: number | null;
  /** Aborted (with the StopReason as its reason) when the run must stop. */
  readonly stop: AbortController;
  /** Process groups the run started (for the GPU placement's own-PID check). */
  readonly processGroups: Set<number>;
}

/**
 * The runs this agent holds, and the GPUs it has set aside. GPUs are reserved synchronously, right
 * after placement and before the claim's first await, so two jobs processed at once by the same
 * worker can never pick the same GPU.
 */
export class HeldRuns {
  private readonly runs = new Map<string, HeldRun>();
  /** GPU index → the run (or job) it is set aside for. */
  private readonly reservations = new Map<number, string>();
  /** Set by closeAll: every run held afterwards is told to stop at once, for this reason. */
  private closedFor: StopReason | null = null;

  reserveGpus(owner: string, gpuIndices: readonly number[]): void {
    const taken = gpuIndices.filter((index) => this.reservations.has(index));
    if (taken.length > 0) {
      throw new Error(`GPU(s) ${taken.join(', ')} are already reserved (by ${owner}'s placement)`);
    }
    for (const index of gpuIndices) this.reservations.set(index, owner);
  }

  releaseGpus(owner: string): void {
    for (const [index, holder] of this.reservations) {
      if (holder === owner) this.reservations.delete(index);
    }
  }

  reservedGpus(): number[] {
    return [...this.reservations.keys()];
  }

  hold(run: Omit<HeldRun, 'stop' | 'processGroups' | 'step'>): HeldRun {
    const held: HeldRun = { ...run, step: null, stop: new AbortController(), processGroups: new Set() };
    if (this.closedFor !== null) held.stop.abort(this.closedFor);
    this.runs.set(run.runId, held);
    return held;
  }

  /**
   * Forgets the run held under `leaseToken`. A run is held by one lease at a time, but another
   * delivery of its job may be processed meanwhile (a redelivery, a duplicate): that one's claim is
   * refused, and it must not drop the attempt that is running.
   */
  drop(runId: string, leaseToken: string): void {
    if (this.runs.get(runId)?.leaseToken === leaseToken) this.runs.delete(runId);
  }

  get(runId: string): HeldRun | undefined {
    return this.runs.get(runId);
  }

  list(): HeldRun[] {
    return [...this.runs.values()];
  }

  get size(): number {
    return this.runs.size;
  }

  /**
   * Asks a run to stop; the first reason wins (a revoke after a cancel stays a cancel's stop). With
   * `leaseToken`, only the attempt holding that lease: news about an earlier attempt of the same
   * run (a late 409, a heartbeat answer sent before the new claim) must not stop the next one.
   */
  requestStop(runId: string, reason: StopReason, leaseToken?: string): boolean {
    const run = this.runs.get(runId);
    if (!run || run.stop.signal.aborted) return false;
    if (leaseToken !== undefined && run.leaseToken !== leaseToken) return false;
    run.stop.abort(reason);
    return true;
  }

  stopAll(reason: StopReason): void {
    for (const run of this.runs.values()) this.requestStop(run.runId, reason);
  }

  /**
   * stopAll, and for good: a run held from now on (its claim was in flight when the agent began to
   * shut down) is stopped before it starts.
   */
  closeAll(reason: StopReason): void {
    this.closedFor ??= reason;
    this.stopAll(reason);
  }

  /** What the heartbeat reports: every held run with its lease, which keeps the leases alive. */
  heartbeatRuns(): HeartbeatRunDto[] {
    return this.list().map((run) => ({ runId: run.runId, leaseToken: run.leaseToken, step: run.step }));
  }

  processGroups(): number[] {
    return this.list().flatMap((run) => [...run.processGroups]);
  }
}

/** Why a held run was told to stop (its AbortSignal's reason), or null. */
export function stopReasonOf(signal: AbortSignal): StopReason | null {
  return signal.aborted ? (signal.reason as StopReason) : null;
}
