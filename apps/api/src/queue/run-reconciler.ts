import { randomUUID } from 'node:crypto';

import { QUEUES } from '@brier/contracts';
import { RunControlRepository, RunRepository, type RunEntity } from '@brier/database';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { ApiConfig } from '../config/api.config.js';
import { QueueRedis } from './queue-redis.js';
import { RunEnqueuer, type UndeliverableState } from './run-enqueuer.js';

/**
 * A job that finished (failed or completed) while its run stayed queued is re-added at most this
 * often (until a person retries the run): after that the run is failed, so that a run whose every
 * delivery fails (a bad payload, a retryable error on the job's last attempt) does not loop.
 */
export const MAX_FINISHED_JOB_REQUEUES = 3;
const PAGE_SIZE = 500;
/** Bounds one pass: the oldest queued runs (a backlog far beyond what a GPU fleet drains). */
const MAX_RUNS_PER_PASS = 20_000;
const CONCURRENCY = 16;
const LOCK_TTL_MS = 60_000;
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface ReconcilePass {
  at: Date;
  /** Queued runs whose job was looked at. */
  checked: number;
  /** Jobs re-added. */
  requeued: number;
  /** Runs failed because their job kept finishing while they stayed queued. */
  failed: number;
  /** Why the pass did nothing, when it did not run. */
  skipped?: string;
  error?: string;
}

/**
 * Postgres is the source of truth, Redis only carries work: a run committed as `queued` whose job
 * is missing (Redis was down at submit, lost its data, or someone deleted the job) or finished
 * while the run is still queued is never delivered. Once at boot and every RECONCILE_INTERVAL_MS,
 * this re-adds such jobs with the same deterministic id, records a 'requeued' event and counts it.
 * Runs changed less than RECONCILE_GRACE_MS ago are left to the request that changed them.
 * One pass at a time per process, and per deployment (a Redis lock, for several API replicas).
 */
@Injectable()
export class RunReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RunReconciler');
  private readonly control: RunControlRepository;
  private readonly lockKey: string;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<ReconcilePass> | undefined;
  private stopped = false;
  private total = 0;
  private last: ReconcilePass | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly runs: RunRepository,
    private readonly enqueuer: RunEnqueuer,
    private readonly redis: QueueRedis,
    private readonly config: ApiConfig,
  ) {
    this.control = new RunControlRepository(dataSource);
    this.lockKey = `${config.BRIER_QUEUE_PREFIX}:${QUEUES.runs}-reconciler-lock`;
  }

  /** Jobs re-added by this process since it started. */
  get reconciledTotal(): number {
    return this.total;
  }

  get lastPass(): ReconcilePass | undefined {
    return this.last;
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  /** Run a pass now, or join the one in flight. Never rejects. */
  reconcileNow(): Promise<ReconcilePass> {
    this.inFlight ??= this.pass().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    await this.reconcileNow();
    this.schedule(this.config.RECONCILE_INTERVAL_MS);
  }

  private async pass(): Promise<ReconcilePass> {
    const at = new Date();
    let result: ReconcilePass;
    if (!this.dataSource.isInitialized)
      result = { at, checked: 0, requeued: 0, failed: 0, skipped: 'Postgres not connected' };
    else if (!this.redis.ready)
      result = { at, checked: 0, requeued: 0, failed: 0, skipped: 'Redis not connected' };
    else {
      try {
        result = await this.lockedPass(at);
      } catch (error) {
        result = { at, checked: 0, requeued: 0, failed: 0, error: (error as Error).message };
      }
    }
    this.report(result);
    this.last = result;
    return result;
  }

  private async lockedPass(at: Date): Promise<ReconcilePass> {
    const token = randomUUID();
    const locked = await this.redis.client.set(this.lockKey, token, 'PX', LOCK_TTL_MS, 'NX');
    if (locked !== 'OK')
      return { at, checked: 0, requeued: 0, failed: 0, skipped: 'another API instance is reconciling' };
    const counts = { checked: 0, requeued: 0, failed: 0 };
    try {
      const ids = await this.control.findQueuedIds({
        unchangedForMs: this.config.RECONCILE_GRACE_MS,
        limit: MAX_RUNS_PER_PASS,
      });
      for (let start = 0; start < ids.length && !this.stopped; start += PAGE_SIZE) {
        const page = ids.slice(start, start + PAGE_SIZE);
        counts.checked += page.length;
        const lost = await this.enqueuer.undeliverable(page);
        const outcomes = await mapBounded([...lost], CONCURRENCY, ([runId, state]) =>
          this.reconcileRun(runId, state),
        );
        counts.requeued += outcomes.filter((o) => o === 'requeued').length;
        counts.failed += outcomes.filter((o) => o === 'failed').length;
      }
    } finally {
      await this.redis.client.eval(RELEASE_LOCK, 1, this.lockKey, token).catch(() => undefined);
    }
    return { at, ...counts };
  }

  /** Re-add the job of a queued run that will never be delivered (or give up on the run). */
  private async reconcileRun(
    runId: string,
    state: UndeliverableState,
  ): Promise<'requeued' | 'failed' | 'unchanged'> {
    // The page may be stale: an agent may have claimed the run, a user cancelled it.
    const current = await this.runs.findById(runId);
    if (current?.status !== 'queued') return 'unchanged';
    if (state !== 'unknown') {
      const before = await this.control.countFinishedJobRequeues(runId);
      if (before >= MAX_FINISHED_JOB_REQUEUES) return this.giveUp(current, state, before);
    }
    if ((await this.enqueuer.replace(current)) === 'active') return 'unchanged';
    this.total += 1;
    const why = state === 'unknown' ? 'its job was missing from the queue' : `its job was ${state}`;
    this.logger.warn(`re-enqueued queued run ${runId}: ${why}`);
    await this.control.recordEvent(runId, {
      type: 'requeued',
      actor: 'reconciler',
      reason: `re-enqueued: ${why}`,
      data: { jobState: state },
    });
    return 'requeued';
  }

  private async giveUp(
    run: RunEntity,
    state: UndeliverableState,
    requeues: number,
  ): Promise<'failed' | 'unchanged'> {
    const failedReason = await this.enqueuer.failedReason(run.id);
    const message =
      `its job was ${state} while the run stayed queued, again after ${requeues} re-enqueues` +
      (failedReason ? `: ${failedReason}` : '');
    const failed = await this.runs.transition(run.id, {
      from: ['queued'],
      to: 'failed',
      actor: 'reconciler',
      reason: message,
      set: { error: { message, source: 'queue', jobState: state, failedReason } },
    });
    if (!failed) return 'unchanged';
    this.logger.error(`failed queued run ${run.id}: ${message}`);
    return 'failed';
  }

  private report(pass: ReconcilePass): void {
    const problem = pass.error ?? pass.skipped;
    if (problem !== undefined && !problem.startsWith('another')) {
      // Logged when it changes, not every interval while Redis or Postgres stays down.
      if (problem !== this.lastError) this.logger.warn(`pass skipped: ${problem}`);
      this.lastError = problem;
      return;
    }
    if (this.lastError !== undefined) this.logger.log('passes run again');
    this.lastError = undefined;
    if (pass.requeued > 0 || pass.failed > 0) {
      this.logger.log(
        `re-enqueued ${pass.requeued} and failed ${pass.failed} of ${pass.checked} queued runs ` +
          `(${this.total} re-enqueued since start)`,
      );
    }
  }
}

/** `work` over `items`, at most `limit` at a time, results in order; the first error stops it. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        next = items.length; // the other lanes finish their current item and stop
        throw error;
      }
    }
  });
  const settled = await Promise.allSettled(lanes);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
}
