import type { LengthPenaltyConfig } from '@brier/calibration';
import type { RolloutWire } from '@brier/contracts';

import type { AgentApiClient } from '../api-client/agent-api.client.js';
import {
  ApiConflictError,
  ApiRejectedError,
  isLeaseLoss,
  type LeaseLossError,
} from '../api-client/api-errors.js';
import { retryWhileUnavailable, type BackoffOptions } from '../api-client/retry.js';
import { asError } from './as-error.js';
import { ChangeSignal } from './change-signal.js';
import { EventOutbox } from './event-outbox.js';
import { parseEnvRecord, type EnvRollout } from './env-record.js';
import { RewardAudit } from './reward-audit.js';
import { RolloutBatchQueue, type QueuedBatch } from './rollout-batch-queue.js';
import { rejectedLinesOf, RolloutRejections } from './rollout-rejections.js';
import { decodeRollouts, RolloutSpool, type BatchPayload } from './rollout-spool.js';
import { SampledEventReporter, type RunEventReport } from './sampled-event-reporter.js';
import { StepTracker } from './step-tracker.js';

export interface RolloutShipperOptions {
  client: AgentApiClient;
  runId: string;
  leaseToken: string;
  attempt: number;
  /** Rollouts per step (the spec's batchSize). */
  batchSize: number;
  /** The step this attempt's env log begins with (the resume step, else 0). */
  startStep: number;
  /** The run's reward parameters (the spec's `reward` block), to score every completion again. */
  reward: LengthPenaltyConfig;
  /** Where batches wait while the API is behind, and refused ones are kept (one folder per attempt). */
  spoolDir: string;
  /** Rollouts per request (default 512). */
  maxBatchRollouts?: number;
  /**
   * A batch waits at most this long for more rollouts (default 2 s), counted from when its first
   * line was written (the env's `ts`; else from when it was read): the time the log's follower
   * took to see the line is not added to it.
   */
  flushIntervalMs?: number;
  backoff?: BackoffOptions;
  /** Between summary events of a recurring problem (default 60 s). */
  eventSummaryIntervalMs?: number;
  /** Every rollout of `step` is stored (or was reported unshippable); called in step order. */
  onStepStored: (step: number) => void;
  /** Called once when the API says the lease is gone (409 lease-lost / attempt-mismatch, 404). */
  onLeaseLost: (error: LeaseLossError) => void;
  /** A run event to report (reward-mismatch, rollout-malformed, …): add the lease token and send it. */
  onEvent: (event: RunEventReport) => Promise<void> | void;
}

export interface RolloutShipperStats {
  /** Lines given to push(). */
  received: number;
  /** Rollouts the API stored. */
  shipped: number;
  /** Rollouts already stored (the API skipped them) or lines whose index came before. */
  duplicates: number;
  /** Lines that are not a valid rollout record (reported as rollout-malformed events). */
  malformed: number;
  rewardMismatches: number;
  /** Rollouts cut into batches and not yet acknowledged (on disk while the API is behind). */
  spooled: number;
  /** Rollouts the API refused (reported as events, their batch kept in the spool as *.rejected). */
  rejected: number;
}

const DEFAULT_MAX_BATCH_ROLLOUTS = 512;
const DEFAULT_FLUSH_INTERVAL_MS = 2000;
const MAX_REPAIRS = 3;

/**
 * Ships calibrated-qa's rollout log of one attempt: push every line of the log, in file order,
 * from its first line. Rollouts are evidence and are never dropped: a batch stays queued until
 * the API acknowledges it, in memory while the API keeps up and in `spoolDir` from its first
 * failed try on (RolloutBatchQueue), so while the API is down batches wait on disk, in order, and
 * memory stays bounded. Batches are sent one at a time, each retried with backoff until
 * acknowledged, under a Batch-Id that makes a replay a no-op.
 */
export class RolloutShipper {
  private readonly options: RolloutShipperOptions;
  private readonly maxBatchRollouts: number;
  private readonly flushIntervalMs: number;
  private readonly tracker: StepTracker;
  private readonly audit: RewardAudit;
  private readonly malformed: SampledEventReporter;
  private readonly rejections: RolloutRejections;
  private readonly counts: RolloutShipperStats = {
    received: 0,
    shipped: 0,
    duplicates: 0,
    malformed: 0,
    rewardMismatches: 0,
    spooled: 0,
    rejected: 0,
  };

  private readonly batches: RolloutBatchQueue;
  private openTimer: NodeJS.Timeout | undefined;
  /** Rollouts put in batches, and those of them acknowledged or refused. */
  private accepted = 0;
  private settled = 0;
  private readonly events: EventOutbox;
  private spoolWarned = false;
  private closing = false;
  private loopEnded = false;
  private leaseError: LeaseLossError | null = null;
  private failure: Error | null = null;
  private readonly changed = new ChangeSignal();
  private readonly abort = new AbortController();

  constructor(options: RolloutShipperOptions) {
    this.options = options;
    this.maxBatchRollouts = options.maxBatchRollouts ?? DEFAULT_MAX_BATCH_ROLLOUTS;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.batches = new RolloutBatchQueue({
      spool: new RolloutSpool(options.spoolDir),
      runId: options.runId,
      attempt: options.attempt,
      onSpoolFailure: (error) => this.spoolFailed(error),
      onFailure: (error) => {
        this.failure ??= error;
        this.abort.abort(error);
      },
      onQueued: () => this.changed.notify(),
    });
    this.events = new EventOutbox(options.onEvent);
    this.tracker = new StepTracker(options.startStep, options.batchSize);
    const emit = (event: RunEventReport) => this.emit(event);
    const sampling = {
      emit,
      ...(options.eventSummaryIntervalMs === undefined
        ? {}
        : { summaryIntervalMs: options.eventSummaryIntervalMs }),
    };
    this.audit = new RewardAudit({ penalty: options.reward, ...sampling });
    this.malformed = new SampledEventReporter({
      type: 'rollout-malformed',
      what: 'malformed rollout line(s), not shipped',
      ...sampling,
    });
    this.rejections = new RolloutRejections(sampling);
    void this.run()
      .catch((error: unknown) => {
        this.failure = asError(error);
      })
      .finally(() => {
        this.loopEnded = true;
        this.changed.notify();
      });
  }

  get stats(): Readonly<RolloutShipperStats> {
    return { ...this.counts, rewardMismatches: this.audit.mismatches };
  }

  /**
   * One raw line of the env's rollout log. Never blocks. Ignored once the lease is lost (nothing
   * more may be reported); after close() it throws: a rollout is never dropped silently.
   */
  push(line: string): void {
    if (this.leaseError !== null) return;
    if (this.closing) throw new Error('rollout shipper: push() after close(): stop the log tail first');
    const position = this.counts.received++;
    const { startStep, batchSize } = this.options;
    const parsed = parseEnvRecord(line, { position, startStep, batchSize });
    if (!parsed.ok) {
      this.counts.malformed += 1;
      // It still had a place in its step: count it there, or the step would never be done.
      if (this.tracker.receive(parsed.index, parsed.step)) this.tracker.settle(parsed.step, 1);
      this.malformed.report(`rollout line ${position} is malformed: ${parsed.reason}`, {
        position,
        index: parsed.index,
        step: parsed.step,
        reason: parsed.reason,
        excerpt: line.slice(0, 200),
      });
      this.cutIfStepComplete(parsed.step);
      this.announceStoredSteps();
      return;
    }
    const rollout = parsed.rollout;
    if (!this.tracker.receive(rollout.index, rollout.step)) {
      this.counts.duplicates += 1;
      return;
    }
    this.audit.check(rollout);
    this.batches.add(rollout);
    this.accepted += 1;
    if (this.batches.openSize >= this.maxBatchRollouts) this.cut();
    else this.cutIfStepComplete(rollout.step);
    if (this.batches.openSize > 0) {
      this.openTimer ??= setTimeout(() => this.cut(), this.waitOf(rollout)).unref();
    }
  }

  /**
   * How long a batch opened by `first` waits: until flushIntervalMs after the line was written,
   * never longer than flushIntervalMs from now (a clock that disagrees). A line of a backlog is
   * past it already: its batch is cut once the lines read with it are in (timers run after them).
   */
  private waitOf(first: EnvRollout): number {
    if (first.writtenAtMs === null) return this.flushIntervalMs;
    const left = first.writtenAtMs + this.flushIntervalMs - Date.now();
    return Math.min(this.flushIntervalMs, Math.max(0, left));
  }

  /**
   * Resolves once every rollout pushed so far is acknowledged (or reported unshippable) and the
   * events it caused are delivered; throws past `deadlineMs` from now.
   */
  async flush(deadlineMs: number): Promise<void> {
    const giveUpAt = Date.now() + deadlineMs;
    this.cut();
    const target = this.accepted;
    await this.changed.until(
      () => this.settled >= target || this.leaseError !== null || this.loopEnded,
      deadlineMs,
    );
    if (this.leaseError !== null) throw this.leaseError;
    if (this.failure !== null) throw this.failure;
    if (this.settled < target) throw this.unacknowledged(target - this.settled, deadlineMs);
    await this.events.delivered(giveUpAt - Date.now());
  }

  /** Ships what is left, reports what is unreported, then stops; throws past `deadlineMs` from now. */
  async close(deadlineMs: number): Promise<void> {
    const giveUpAt = Date.now() + deadlineMs;
    this.cut();
    this.closing = true;
    this.changed.notify();
    const ended = await this.changed.until(() => this.loopEnded, deadlineMs);
    if (this.leaseError !== null) return;
    this.audit.close();
    this.malformed.summarize();
    this.rejections.summarize();
    if (!ended) {
      this.abort.abort(new Error('rollout shipper closed'));
      this.batches.spill(); // what is left stays on disk for a person
      await this.batches.settledWrites();
      throw this.unacknowledged(this.accepted - this.settled, deadlineMs);
    }
    if (this.failure !== null) throw this.failure;
    await this.events.delivered(giveUpAt - Date.now());
  }

  private unacknowledged(count: number, deadlineMs: number): Error {
    return new Error(
      `rollout shipper: ${count} rollout(s) not acknowledged by the API within ${deadlineMs} ms; their batches stay in ${this.options.spoolDir}`,
    );
  }

  private emit(event: RunEventReport): void {
    if (this.leaseError !== null) return;
    this.events.post(event);
  }

  private cutIfStepComplete(step: number): void {
    // A step's last rollout goes out at once, so that its progress is not held back by batching.
    if (this.tracker.isComplete(step)) this.cut();
  }

  /** Close the open batch: it goes to the queue, then to the API. */
  private cut(): void {
    clearTimeout(this.openTimer);
    this.openTimer = undefined;
    this.counts.spooled += this.batches.openSize;
    this.batches.cut();
  }

  private spoolFailed(error: Error): void {
    if (this.spoolWarned) return;
    this.spoolWarned = true;
    this.emit({
      type: 'rollout-spool-failed',
      message: `cannot write rollout batches to ${this.options.spoolDir} (${error.message}): they wait in memory instead`,
      data: { spoolDir: this.options.spoolDir },
    });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (this.leaseError === null && !signal.aborted) {
      const head = this.batches.head();
      if (head === undefined) {
        if (this.closing && this.batches.pendingWrites === 0) return;
        await this.changed.wait(Number.POSITIVE_INFINITY, signal);
        continue;
      }
      await this.send(head);
    }
  }

  private async send(batch: QueuedBatch): Promise<void> {
    const { client, runId, leaseToken, backoff } = this.options;
    const payload = await this.batches.payloadOf(batch);
    try {
      const answer = await retryWhileUnavailable(
        () => client.ingestRollouts(runId, { leaseToken, batchId: batch.batchId, payload }),
        {
          ...backoff,
          deadlineMs: Number.POSITIVE_INFINITY,
          signal: this.abort.signal,
          // The API is behind: what waits goes to disk until the queue is empty again.
          onRetry: () => this.batches.spill(),
        },
      );
      this.counts.shipped += answer.inserted;
      this.counts.duplicates += answer.skipped;
      await this.batches.remove(batch);
    } catch (error) {
      if (isLeaseLoss(error)) return this.stop(error);
      if (this.abort.signal.aborted) return; // closed at its deadline: the batch stays on disk
      if (!(error instanceof ApiRejectedError) && !(error instanceof ApiConflictError)) throw error;
      if (await this.removeRejectedLines(batch, error, payload)) return; // the rest goes again
      this.rejections.batchRejected(batch.batchId, batch.rollouts, error, await this.batches.setAside(batch));
      this.counts.rejected += batch.rollouts;
    }
    this.batches.shift();
    this.settleBatch(batch.rollouts, batch.steps);
  }

  /**
   * After a 400 naming some lines: take those out (reported, counted as rejected) and keep the
   * rest queued under the same Batch-Id (nothing of a refused batch is stored). False when the
   * answer names no lines, or all of them, or the batch was repaired too often already.
   */
  private async removeRejectedLines(
    batch: QueuedBatch,
    error: ApiRejectedError | ApiConflictError,
    payload: BatchPayload,
  ): Promise<boolean> {
    const bad = error instanceof ApiRejectedError ? rejectedLinesOf(error) : new Set<number>();
    if (bad.size === 0 || bad.size >= batch.rollouts || batch.repairs >= MAX_REPAIRS) return false;
    const wires = await decodeRollouts(payload);
    const keep: RolloutWire[] = [];
    const removedSteps = new Map<number, number>();
    wires.forEach((wire, i) => {
      if (!bad.has(i + 1)) {
        keep.push(wire);
        return;
      }
      this.rejections.lineRejected(wire, error as ApiRejectedError, i + 1);
      removedSteps.set(wire.step, (removedSteps.get(wire.step) ?? 0) + 1);
    });
    const removed = wires.length - keep.length;
    await this.batches.replace(batch, keep, removedSteps);
    this.counts.rejected += removed;
    this.settleBatch(removed, removedSteps);
    return true;
  }

  private settleBatch(rollouts: number, steps: Map<number, number>): void {
    this.counts.spooled -= rollouts;
    this.settled += rollouts;
    for (const [step, n] of steps) this.tracker.settle(step, n);
    this.announceStoredSteps();
    this.changed.notify();
  }

  private announceStoredSteps(): void {
    for (const step of this.tracker.takeStored()) this.options.onStepStored(step);
  }

  private stop(error: LeaseLossError): void {
    this.leaseError = error;
    clearTimeout(this.openTimer);
    this.batches.discardOpen();
    this.changed.notify();
    this.options.onLeaseLost(error);
  }
}
