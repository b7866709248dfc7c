import { AgentRepository, RunLeaseRepository } from '@brier/database';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { ApiConfig } from '../config/api.config.js';
import { AgentTiming } from './agent-timing.js';
import { RunRequeuer, type RequeueOutcome } from './run-requeuer.js';

/** Lost runs handled per pass; the next pass goes on with the rest. */
const REQUEUE_BATCH = 200;

export interface ReaperPass {
  at: Date;
  /** Runs declared lost by this pass (running, silent past the lease timeout). */
  lost: string[];
  /** Import runs failed by this pass: the API process importing them went silent (or never started them). */
  failedImports: string[];
  /** What became of each lost run handled (this pass's and earlier ones still lost). */
  requeue: Record<string, RequeueOutcome>;
  /** Agents declared offline. */
  offline: string[];
  skipped?: string;
  /** Nothing reaped: the grace after the start or an outage (REAPER_GRACE_MS) is not over. */
  holdingOff?: boolean;
  error?: string;
}

/**
 * Every REAPER_INTERVAL_MS (0: never; one pass at a time, unref'd timers, stopped before the
 * database closes on shutdown):
 * 1. `UPDATE runs SET status = 'lost' WHERE status = 'running' AND heartbeat_at < now() − 3 ×
 *    heartbeat interval` (fenced: a run that heartbeats meanwhile is not touched; run_events
 *    actor 'reaper'), except import runs: their API process heartbeats them, and no agent can
 *    take one over, so a silent import run fails instead (never lost, never a job);
 * 2. lost runs → queued with a fresh job under their deterministic id (RunRequeuer);
 * 3. agents silent as long → offline.
 * Several API processes may reap at once: every step is a fenced, idempotent write.
 */
@Injectable()
export class RunReaper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RunReaper');
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<ReaperPass> | undefined;
  private stopped = false;
  private lastProblem: string | undefined;
  /** When passes began to reach Postgres again (after the start or a failed pass); undefined: not yet. */
  private healthySince: number | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly leases: RunLeaseRepository,
    private readonly agents: AgentRepository,
    private readonly requeuer: RunRequeuer,
    private readonly timing: AgentTiming,
    private readonly config: ApiConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.REAPER_INTERVAL_MS > 0) this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  /** Run a pass now, or join the one in flight. Never rejects. */
  reapNow(): Promise<ReaperPass> {
    this.inFlight ??= this.pass().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.config.REAPER_INTERVAL_MS);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    await this.reapNow();
    this.schedule();
  }

  private async pass(): Promise<ReaperPass> {
    const at = new Date();
    const empty = { at, lost: [], failedImports: [], requeue: {}, offline: [] };
    if (!this.dataSource.isInitialized) {
      this.healthySince = undefined;
      return this.report({ ...empty, skipped: 'Postgres not connected' });
    }
    try {
      if ((await this.graceLeft()) > 0) return this.report({ ...empty, holdingOff: true });
      const timeout = this.timing.leaseTimeoutMs;
      const failedImports = await this.leases.failSilentImports(timeout);
      for (const run of failedImports) {
        this.logger.warn(
          `import run ${run.runId} failed: ${run.fromStatus} with no heartbeat for ${timeout} ms`,
        );
      }
      const lost = await this.leases.markSilentRunsLost(timeout);
      for (const run of lost) {
        this.logger.warn(`run ${run.runId} lost: attempt ${run.attempt} sent no heartbeat for ${timeout} ms`);
      }
      const requeue = Object.fromEntries(await this.requeuer.requeueLost(REQUEUE_BATCH));
      const offline = await this.agents.markSilentOffline(timeout);
      for (const agent of offline)
        this.logger.warn(`agent ${agent.name} offline: no heartbeat for ${timeout} ms`);
      return this.report({
        at,
        lost: lost.map((r) => r.runId),
        failedImports: failedImports.map((r) => r.runId),
        requeue,
        offline: offline.map((a) => a.id),
      });
    } catch (error) {
      this.healthySince = undefined;
      return this.report({ ...empty, error: (error as Error).message });
    }
  }

  /**
   * While the API was down, or Postgres, agents could not heartbeat: their runs look silent but
   * are fine. Until passes have reached Postgres for a grace period (the lease timeout), nothing
   * is declared lost, or every run would be killed after any outage longer than a lease.
   */
  private async graceLeft(): Promise<number> {
    if (this.healthySince === undefined) {
      await this.dataSource.query('SELECT 1');
      this.healthySince = Date.now();
      if (this.timing.reaperGraceMs > 0) {
        this.logger.log(
          `reaping in ${this.timing.reaperGraceMs} ms: agents heartbeat first after a start or an outage`,
        );
      }
    }
    return Math.max(0, this.healthySince + this.timing.reaperGraceMs - Date.now());
  }

  /** Problems are logged when they change, not on every pass while Postgres stays down. */
  private report(pass: ReaperPass): ReaperPass {
    const problem = pass.error ?? pass.skipped;
    if (problem !== undefined && problem !== this.lastProblem) {
      this.logger.warn(`pass ${pass.error !== undefined ? 'failed' : 'skipped'}: ${problem}`);
    }
    if (problem === undefined && this.lastProblem !== undefined) this.logger.log('passes run again');
    this.lastProblem = problem;
    return pass;
  }
}
