import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { ClaimRunResponse, RunJobData, RunKind } from '@brier/contracts';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';

import { AgentApiClient } from '../api-client/agent-api.client.js';
import { ApiConflictError, ApiNotFoundError, ApiUnavailableError } from '../api-client/api-errors.js';
import { retryWhileUnavailable } from '../api-client/retry.js';
import type { ExitVerdict } from '../process/exit-verdict.js';
import { ProcessGroupSurvivedError, type StopReason } from '../process/process-group.js';
import { AgentConfig } from '../config/agent.config.js';
import { RunAdmission } from '../placement/run-admission.js';
import { AgentSession } from '../session/agent-session.service.js';
import { LogShipper } from '../shipping/log-shipper.js';
import { MalformedJobError, parseRunJob } from '../worker/run-job-payload.js';
import { attemptOutcome } from './attempt-outcome.js';
import { runDirectory } from './attempt-services.js';
import { HeldRuns, stopReasonOf, type HeldRun } from './held-runs.js';
import { AttemptSetupError, type AttemptResult, type RunExecutor } from './run-executor.js';

/** Executors by run kind (imports run inside the API, never on an agent). */
export const RUN_EXECUTORS = Symbol('RUN_EXECUTORS');
export type RunExecutors = Partial<Record<RunKind, RunExecutor>>;

/** How long the agent keeps trying to report a finished attempt before it gives up on the API. */
const FINISH_DEADLINE_MS = 10 * 60_000;
const LOG_FLUSH_DEADLINE_MS = 30_000;

/**
 * One job of the runs queue, start to end: check the payload, place it on free GPUs (or hand it
 * back for another agent), claim it from the API (the fence against a second claimant), run the
 * attempt, report how it ended, and end the BullMQ job the way docs/agent-api.md's table says.
 */
@Injectable()
export class RunJobProcessor {
  private readonly logger = new Logger(RunJobProcessor.name);

  constructor(
    private readonly config: AgentConfig,
    private readonly client: AgentApiClient,
    private readonly session: AgentSession,
    private readonly held: HeldRuns,
    private readonly admission: RunAdmission,
    @Inject(RUN_EXECUTORS) private readonly executors: RunExecutors,
  ) {}

  async process(job: Job, token: string | undefined): Promise<void> {
    let data: RunJobData;
    try {
      data = parseRunJob(job.name, job.data);
    } catch (error) {
      if (error instanceof MalformedJobError) {
        this.logger.error(`job ${job.id ?? '?'} is malformed, failing it without retries: ${error.message}`);
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
    const admission = await this.admission.admit(job.id ?? '?', data);
    if (admission.kind !== 'admitted') {
      return this.handBack(job, token, `${admission.kind}: ${admission.reason}`);
    }
    let claim: ClaimRunResponse | null = null;
    try {
      claim = await this.claim(job, token, data, admission.gpuIndices);
      if (claim === null) return;
      await this.runClaimed(job, token, claim, admission.gpuIndices);
    } finally {
      if (claim !== null) this.held.drop(data.runId, claim.leaseToken);
      admission.release();
    }
  }

  /** Not for this agent now: back to the queue, delayed, so another agent (or this one later) takes it. */
  private async handBack(job: Job, token: string | undefined, why: string): Promise<never> {
    this.logger.debug(`job ${job.id ?? '?'} handed back: ${why}`);
    const jitter = Math.round(Math.random() * this.config.AGENT_HANDBACK_DELAY_MS * 0.2);
    await job.moveToDelayed(Date.now() + this.config.AGENT_HANDBACK_DELAY_MS + jitter, token);
    throw new DelayedError(why);
  }

  /** The claim, or null when the job must be dropped (another attempt owns the run, or none may). */
  private async claim(
    job: Job,
    token: string | undefined,
    data: RunJobData,
    gpuIndices: number[],
  ): Promise<ClaimRunResponse | null> {
    const { agentId, incarnation } = this.session.current;
    try {
      return await this.client.claim(data.runId, { agentId, incarnation, gpuIndices });
    } catch (error) {
      if (error instanceof ApiNotFoundError) {
        this.logger.log(`run ${data.runId} no longer exists; dropping its job`);
        return null;
      }
      if (error instanceof ApiConflictError) {
        if (error.reason === 'not-claimable') {
          this.logger.log(
            `run ${data.runId} is not claimable (${error.runStatus ?? 'unknown'}); dropping its job`,
          );
          return null;
        }
        if (error.reason === 'stale-agent') await this.session.register();
        return this.handBack(job, token, `claim refused (${error.reason}): ${error.message}`);
      }
      // A claim whose answer was lost can't be retried (the retry is refused as running); hand the
      // job back: if the claim did happen, the run sends no heartbeat and the reaper re-queues it.
      if (error instanceof ApiUnavailableError)
        return this.handBack(job, token, `claim failed: ${error.message}`);
      throw error;
    }
  }

  private async runClaimed(
    job: Job,
    token: string | undefined,
    claim: ClaimRunResponse,
    gpuIndices: number[],
  ): Promise<void> {
    const { agentId } = this.session.current;
    const run = this.held.hold({
      runId: claim.runId,
      kind: claim.kind,
      leaseToken: claim.leaseToken,
      attempt: claim.attempt,
      gpuIndices,
    });
    const runDir = runDirectory(this.config, claim.runId);
    const attemptDir = join(runDir, `attempt-${claim.attempt}`);
    await mkdir(attemptDir, { recursive: true });
    const agentLog = new LogShipper({
      client: this.client,
      runId: claim.runId,
      leaseToken: claim.leaseToken,
      attempt: claim.attempt,
      stream: 'agent',
      onLeaseLost: () => this.held.requestStop(claim.runId, 'revoked', claim.leaseToken),
    });
    const gpusText = gpuIndices.length > 0 ? `GPU(s) ${gpuIndices.join(', ')}` : 'no GPU';
    agentLog.push(
      `attempt ${claim.attempt} of run ${claim.name} claimed by agent ${this.config.AGENT_NAME} on ${gpusText}`,
    );
    this.logger.log(`run ${claim.runId} (${claim.kind}, attempt ${claim.attempt}) started on ${gpusText}`);

    const stoppedEarly = stopReasonOf(run.stop.signal);
    const result =
      stoppedEarly !== null
        ? notStarted(stoppedEarly)
        : await this.execute(claim, {
            claim,
            run,
            agentId,
            gpuIndices,
            runDir,
            attemptDir,
            agentLog,
          });
    const stoppedFor = stopReasonOf(run.stop.signal);
    const attemptsLeft = job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    const outcome = attemptOutcome(result, stoppedFor, attemptsLeft);
    agentLog.push(`attempt ${claim.attempt} ${outcome.summary}`);
    this.logger.log(`run ${claim.runId} attempt ${claim.attempt} ${outcome.summary}`);
    await this.closeLog(agentLog, run);
    if (outcome.finish !== null) await this.finish(run, outcome.finish);
    if (outcome.job === 'hand-back') return this.handBack(job, token, 'the agent is shutting down');
    if (outcome.job === 'retry') throw new Error(outcome.summary);
    if (outcome.job === 'fail') throw new UnrecoverableError(outcome.summary);
  }

  private async execute(
    claim: ClaimRunResponse,
    context: Parameters<RunExecutor['run']>[0],
  ): Promise<AttemptResult> {
    const executor = this.executors[claim.kind];
    try {
      if (!executor) throw new AttemptSetupError(`this agent does not run ${claim.kind} runs`);
      return await executor.run(context);
    } catch (error) {
      // An attempt that could not start (bad spec, unknown prime-rl version) is not retried;
      // anything else unexpected is, within BullMQ's attempts.
      if (error instanceof ProcessGroupSurvivedError) {
        // Its next heartbeat says so; the API then refuses this agent's claims.
        this.session.drain(`run ${claim.runId}: ${error.message}`);
      }
      const setup = error instanceof AttemptSetupError;
      const message = error instanceof Error ? error.message : String(error);
      if (!setup)
        this.logger.error(
          `run ${claim.runId}: ${error instanceof Error ? (error.stack ?? message) : message}`,
        );
      context.agentLog.push(`attempt ${claim.attempt} could not run: ${message}`);
      return {
        verdict: { outcome: 'failed', retryable: !setup, reason: message },
        exit: null,
        stderrTail: null,
      };
    }
  }

  private async closeLog(agentLog: LogShipper, run: HeldRun): Promise<void> {
    if (run.stop.signal.reason === 'revoked') return; // nothing more may be written for it
    await agentLog.close(LOG_FLUSH_DEADLINE_MS).catch((error: unknown) => {
      this.logger.warn(
        `run ${run.runId}: agent log not fully shipped: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  private async finish(
    run: HeldRun,
    finish: NonNullable<ReturnType<typeof attemptOutcome>['finish']>,
  ): Promise<void> {
    try {
      await retryWhileUnavailable(
        () => this.client.finish(run.runId, { leaseToken: run.leaseToken, ...finish }),
        {
          deadlineMs: FINISH_DEADLINE_MS,
        },
      );
    } catch (error) {
      if (error instanceof ApiConflictError || error instanceof ApiNotFoundError) {
        // The lease was lost meanwhile: another attempt owns the run, and this one's result is void.
        this.logger.warn(
          `run ${run.runId}: finish refused (${error.message}); the attempt's result is discarded`,
        );
        return;
      }
      throw error;
    }
  }
}

/** A run told to stop between its claim and its start (the agent began to shut down meanwhile). */
function notStarted(reason: StopReason): AttemptResult {
  const verdict: ExitVerdict =
    reason === 'cancel'
      ? { outcome: 'cancelled' }
      : { outcome: 'failed', retryable: true, reason: `stopped (${reason}) before prime-rl started` };
  return { verdict, exit: null, stderrTail: null };
}
