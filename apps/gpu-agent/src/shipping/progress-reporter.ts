import { AGENT_LIMITS, type OrchestratorStepDto } from '@brier/contracts';
import type { StepLogEntry } from '@brier/results';

import type { AgentApiClient } from '../api-client/agent-api.client.js';
import {
  ApiRejectedError,
  ApiUnavailableError,
  isLeaseLoss,
  type LeaseLossError,
} from '../api-client/api-errors.js';
import { backoffDelayMs, type BackoffOptions } from '../api-client/retry.js';
import { asError } from './as-error.js';
import { ChangeSignal } from './change-signal.js';
import { toOrchestratorStep } from './orchestrator-step.js';

export interface ProgressReporterOptions {
  client: AgentApiClient;
  runId: string;
  leaseToken: string;
  /** Called once when the API says the lease is gone (409 lease-lost, 404). */
  onLeaseLost: (error: LeaseLossError) => void;
  /** At most one report per this interval (default 1 s); flush() does not wait for it. */
  minIntervalMs?: number;
  backoff?: BackoffOptions;
}

const DEFAULT_MIN_INTERVAL_MS = 1000;

/**
 * Reports a run's progress: the step is the last one whose rollouts are all stored AND whose
 * orchestrator step line was seen (a step counts once its evidence is in the database), and it
 * never moves back. Orchestrator lines go along, at most 1000 per report. Reports are coalesced:
 * one request in flight at a time, at most one per minIntervalMs, retried with backoff while
 * the API is unavailable.
 */
export class ProgressReporter {
  private readonly options: ProgressReporterOptions;
  private readonly minIntervalMs: number;
  /** Orchestrator lines not acknowledged yet, in arrival order (one per step). */
  private pending: OrchestratorStepDto[] = [];
  private storedThrough: number | null = null;
  private orchestratorThrough: number | null = null;
  private reported: number | null = null;
  /** A step the API refused (a bug): not offered again on its own. */
  private refusedStep: number | null = null;
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = 0;
  private retryAt = 0;
  private failedTries = 0;
  private urgent = false;
  private closed = false;
  private leaseError: LeaseLossError | null = null;
  private failure: Error | null = null;
  private readonly changed = new ChangeSignal();

  constructor(options: ProgressReporterOptions) {
    this.options = options;
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  }

  /** The last step the API acknowledged as the run's progress. */
  get lastReportedStep(): number | null {
    return this.reported;
  }

  /** A `Step N | …` line from OrchestratorLogParser. */
  orchestratorStep(entry: StepLogEntry): void {
    if (this.isOver()) return;
    const dto = toOrchestratorStep(entry);
    // A step logged again (a resume) replaces its unsent line.
    this.pending = this.pending.filter((p) => p.step !== dto.step);
    this.pending.push(dto);
    this.orchestratorThrough = Math.max(this.orchestratorThrough ?? dto.step, dto.step);
    this.schedule();
  }

  /** From RolloutShipper.onStepStored: every rollout of `step` is in the database. */
  stepStored(step: number): void {
    if (this.isOver()) return;
    this.storedThrough = Math.max(this.storedThrough ?? step, step);
    this.schedule();
  }

  /** Sends what is new now; resolves once it is acknowledged, throws past `deadlineMs` from now. */
  async flush(deadlineMs: number): Promise<void> {
    this.urgent = true;
    this.schedule();
    const done = await this.changed.until(
      () => this.leaseError !== null || this.failure !== null || (!this.inFlight && !this.hasNews()),
      deadlineMs,
    );
    this.urgent = false;
    if (this.leaseError !== null) throw this.leaseError;
    if (this.failure !== null) {
      const error = this.failure;
      this.failure = null;
      throw error;
    }
    if (!done)
      throw new Error(`progress of run ${this.options.runId} not acknowledged within ${deadlineMs} ms`);
  }

  /** flush(), then report nothing more (call before finishing the run: a late report would meet a 409). */
  async close(deadlineMs: number): Promise<void> {
    try {
      if (this.leaseError === null) await this.flush(deadlineMs);
    } finally {
      this.closed = true;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The step to report: both conditions met, never below what was acknowledged. */
  private progressStep(): number | null {
    if (this.storedThrough === null || this.orchestratorThrough === null) return this.reported;
    const step = Math.min(this.storedThrough, this.orchestratorThrough);
    return this.reported === null ? step : Math.max(step, this.reported);
  }

  private hasNews(): boolean {
    const step = this.progressStep();
    if (step === null) return false; // a report needs a step: lines wait for the first one
    return (step !== this.reported && step !== this.refusedStep) || this.pending.length > 0;
  }

  private isOver(): boolean {
    return this.closed || this.leaseError !== null;
  }

  private schedule(): void {
    if (this.isOver() || this.inFlight || !this.hasNews()) return;
    const at = Math.max(this.retryAt, this.urgent ? 0 : this.lastSentAt + this.minIntervalMs);
    const delay = at - Date.now();
    if (delay <= 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.send().catch((error: unknown) => {
        this.failure ??= asError(error); // a callback that threw
      });
      return;
    }
    // A flush may want it sooner than the timer that is set: set it again.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, delay).unref();
  }

  private async send(): Promise<void> {
    const step = this.progressStep()!;
    const sent = this.pending.slice(0, AGENT_LIMITS.progressStepsMax);
    this.inFlight = true;
    this.lastSentAt = Date.now();
    const { client, runId, leaseToken } = this.options;
    try {
      await client.progress(runId, { leaseToken, step, orchestrator: sent });
      this.acknowledge(step, sent);
      this.failedTries = 0;
      this.retryAt = 0;
    } catch (error) {
      this.handle(error, step, sent);
    } finally {
      this.inFlight = false;
      this.changed.notify();
      this.schedule();
    }
  }

  private acknowledge(step: number, sent: OrchestratorStepDto[]): void {
    this.reported = Math.max(this.reported ?? step, step);
    const done = new Set(sent);
    this.pending = this.pending.filter((p) => !done.has(p));
  }

  private handle(error: unknown, step: number, sent: OrchestratorStepDto[]): void {
    if (isLeaseLoss(error)) {
      this.leaseError = error;
      clearTimeout(this.timer);
      this.options.onLeaseLost(error);
      return;
    }
    if (error instanceof ApiUnavailableError) {
      this.failedTries += 1;
      const wait = Math.max(error.retryAfterMs ?? 0, backoffDelayMs(this.failedTries, this.options.backoff));
      this.retryAt = Date.now() + wait;
      return;
    }
    // A refused report is a bug here: drop its lines so the next report can pass, and say so.
    if (error instanceof ApiRejectedError) {
      const dropped = new Set(sent);
      this.pending = this.pending.filter((p) => !dropped.has(p));
      this.refusedStep = step;
    }
    this.failure ??= asError(error);
  }
}
