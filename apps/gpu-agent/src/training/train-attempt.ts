import { join } from 'node:path';

import type { TrainSpecDto } from '@brier/contracts';
import { OrchestratorLogParser } from '@brier/results';

import { AgentApiClient } from '../api-client/agent-api.client.js';
import { CheckpointWatcher } from '../checkpoints/checkpoint-watcher.js';
import { AgentConfig } from '../config/agent.config.js';
import { exitVerdict } from '../process/exit-verdict.js';
import type { ProcessGroup, ProcessExit } from '../process/process-group.js';
import { launchRecorded } from '../process/recorded-launch.js';
import { StallWatchdog } from '../process/stall-watchdog.js';
import type { PrimeRlAdapter } from '../prime-rl/prime-rl-adapter.js';
import {
  attemptReporter,
  primeRlCheckout,
  type AttemptReporter,
  type AttemptServices,
} from '../runs/attempt-services.js';
import { childEnvironment } from '../runs/child-environment.js';
import { adapterFor, claimedSpec } from '../runs/claimed-spec.js';
import { stopReasonOf } from '../runs/held-runs.js';
import type { AttemptContext, AttemptResult, RunExecutor } from '../runs/run-executor.js';
import { LogShipper } from '../shipping/log-shipper.js';
import { ProgressReporter } from '../shipping/progress-reporter.js';
import { RolloutShipper } from '../shipping/rollout-shipper.js';
import { OutputFollowers } from './output-followers.js';
import { prepareLaunch } from './prepare-launch.js';
import { failureOutput } from './prime-rl-output.js';
import { resumePoint, type ResumePoint } from './resume-point.js';

/** After the process exits: reading the rest of its files, then shipping what they hold. */
const FOLLOW_DEADLINE_MS = 30_000;
const SHIP_DEADLINE_MS = 5 * 60_000;
const REPORT_DEADLINE_MS = 60_000;
const CHECKPOINT_SCAN_MS = 2_000;
/**
 * A rollout should be in Postgres within about a second of its line (issue 4's target): a batch is
 * sent 0.5 s after its first line was written (by the line's own `ts`, so the rollout log's poll
 * does not add to it), which leaves half a second for the request.
 */
const ROLLOUT_FLUSH_MS = 500;
/** After prime-rl exits by itself, how long stragglers of its group get before SIGKILL. */
const LEFTOVER_GRACE_MS = 2_000;

/** What run() settled before the launch: the spec, its adapter, where it resumes, the ports. */
interface LaunchPlan {
  spec: TrainSpecDto;
  adapter: PrimeRlAdapter;
  resume: ResumePoint;
  report: AttemptReporter;
  ports: Readonly<Record<string, number>>;
}

/**
 * A training attempt: the spec becomes prime-rl's config through the version's adapter, prime-rl
 * runs in its own process group on the reserved GPUs, and the agent follows its files: the
 * orchestrator's console (step progress), the env's rollout log (every rollout, re-scored and
 * shipped), the checkpoints. It stops the group on cancel, revoke or shutdown.
 */
export class TrainAttempt implements RunExecutor {
  private readonly config: AgentConfig;
  private readonly client: AgentApiClient;

  constructor(private readonly services: AttemptServices) {
    this.config = services.config;
    this.client = services.client;
  }

  async run(context: AttemptContext): Promise<AttemptResult> {
    const { claim, runDir, agentLog } = context;
    const spec = claimedSpec(claim, 'train');
    const adapter = adapterFor(spec.primeRl.version);
    const resume = await resumePoint(claim, runDir, spec.maxSteps);
    const report = attemptReporter(this.client, context);
    if (resume.notReachable !== null) {
      agentLog.push(resume.notReachable);
      // The attempt's record names the claim's offer: correct it to the step really used.
      await report.event({
        type: 'checkpoint-not-reachable',
        message: resume.notReachable,
        resumeStep: resume.startStep,
      });
    }
    if (resume.trainingEnded) return recommit(resume.startStep, context, report);
    if (resume.startStep > 0) agentLog.push(`resuming from checkpoint step ${resume.startStep}`);

    // Held until the attempt ends: its processes bind most of them only minutes from now.
    const reservation = await this.services.ports.reserve(adapter.localPorts);
    try {
      return await this.launch(context, { spec, adapter, resume, report, ports: reservation.ports });
    } finally {
      reservation.release();
    }
  }

  private async launch(context: AttemptContext, plan: LaunchPlan): Promise<AttemptResult> {
    const { claim, run, runDir, attemptDir, agentLog } = context;
    const { spec, adapter, resume, report, ports } = plan;
    const launch = await prepareLaunch(this.config, context, {
      spec,
      adapter,
      startStep: resume.startStep,
      ports,
    });

    const stdout = this.logShipper(context, 'stdout');
    const stderr = this.logShipper(context, 'stderr');
    const progress = new ProgressReporter({
      client: this.client,
      runId: claim.runId,
      leaseToken: claim.leaseToken,
      onLeaseLost: () => this.revoke(context),
    });
    const rollouts = new RolloutShipper({
      client: this.client,
      runId: claim.runId,
      leaseToken: claim.leaseToken,
      attempt: claim.attempt,
      batchSize: spec.batchSize,
      startStep: resume.startStep,
      reward: spec.reward,
      spoolDir: join(attemptDir, 'spool'),
      flushIntervalMs: ROLLOUT_FLUSH_MS,
      onStepStored: (step) => {
        progress.stepStored(step);
        run.step = progress.lastReportedStep;
      },
      onLeaseLost: () => this.revoke(context),
      onEvent: (event) => report.event(event),
    });
    let lastCheckpointError = '';
    const checkpoints = new CheckpointWatcher({
      layout: launch.layout,
      runDir,
      intervalMs: CHECKPOINT_SCAN_MS,
      onChange: (state) => report.checkpoint(state),
      // A scan or report that keeps failing says so in the run's agent log, once per new error.
      onError: (error) => {
        if (error.message !== lastCheckpointError) agentLog.push(`checkpoints: ${error.message}`);
        lastCheckpointError = error.message;
      },
    });
    const stall = new StallWatchdog(this.config.RUN_STALL_TIMEOUT_MS, () => {
      agentLog.push(`prime-rl wrote nothing for ${this.config.RUN_STALL_TIMEOUT_MS} ms: stopping it as hung`);
      run.stop.abort('timeout');
    });
    const parser = new OrchestratorLogParser();
    const followers = new OutputFollowers({
      orchestratorLog: launch.layout.orchestratorLog,
      rolloutLog: join(attemptDir, 'rollouts.jsonl'),
      onOrchestratorLine: (line) => {
        stall.touch();
        const event = parser.push(line);
        const entry = parser.steps[parser.steps.length - 1];
        if (event?.type === 'step' && entry) progress.orchestratorStep(entry);
      },
      onRolloutLine: (line) => {
        stall.touch();
        rollouts.push(line);
      },
      onError: (error) => agentLog.push(`cannot follow prime-rl's output: ${error.message}`),
    });

    let group: ProcessGroup;
    try {
      group = await launchRecorded(
        { ledger: this.services.ledger, runId: claim.runId, incarnation: this.services.incarnation() },
        {
          command: this.config.UV_BIN,
          args: launch.args,
          cwd: primeRlCheckout(this.config),
          env: childEnvironment(this.config, launch.env),
          stdoutPath: join(attemptDir, 'stdout.log'),
          stderrPath: join(attemptDir, 'stderr.log'),
          onLine: (stream, line) => {
            stall.touch();
            (stream === 'stdout' ? stdout : stderr).push(line);
          },
        },
      );
    } catch (error) {
      // Nothing started: stop following and shipping, or each failed launch leaves pollers behind.
      await followers.close();
      await settle([
        rollouts.close(SHIP_DEADLINE_MS),
        progress.close(REPORT_DEADLINE_MS),
        stdout.close(REPORT_DEADLINE_MS),
        stderr.close(REPORT_DEADLINE_MS),
      ]);
      throw error;
    }
    run.processGroups.add(group.pgid);
    checkpoints.start();
    stall.start();

    const exit = await this.untilExit(group, run.stop.signal).finally(() => stall.stop());
    await this.services.ledger.remove(claim.runId);
    run.processGroups.delete(group.pgid);
    const stoppedFor = stopReasonOf(run.stop.signal);
    const stderrTail = group.stderrTail();
    agentLog.push(describeExit(exit));

    // The process is gone: read what it left, then ship it (unless the lease is gone too).
    await followers.finish(FOLLOW_DEADLINE_MS);
    await checkpoints.stop();
    let verdict = exitVerdict(exit, await failureOutput(stderrTail, attemptDir, launch.layout));
    const notFollowed = followers.error;
    if (notFollowed !== null && verdict.outcome === 'succeeded') {
      verdict = {
        outcome: 'failed',
        retryable: true,
        reason: `prime-rl's output was not followed: ${notFollowed.message}`,
      };
    }
    if (stopReasonOf(run.stop.signal) !== 'revoked') {
      await checkpoints.scanNow();
      const shipped = await settle([
        // Progress last: the steps it reports are those whose rollouts the shipper stored.
        rollouts.close(SHIP_DEADLINE_MS).finally(() => progress.close(REPORT_DEADLINE_MS)),
        stdout.close(REPORT_DEADLINE_MS),
        stderr.close(REPORT_DEADLINE_MS),
      ]);
      agentLog.push(shippingSummary(rollouts.stats, parser.steps.length));
      if (shipped !== null && verdict.outcome === 'succeeded') {
        // prime-rl finished, but its evidence is not all stored: the attempt has not done its job.
        verdict = { outcome: 'failed', retryable: true, reason: `rollouts not all stored: ${shipped}` };
      }
    }
    return { verdict, exit: { ...exit, stoppedFor: exit.stoppedFor ?? stoppedFor }, stderrTail };
  }

  /**
   * Waits for the process, or stops it when the run is told to (SIGINT then SIGKILL, or SIGKILL at
   * once for a revoked lease). A stop resolves only when no process of the group is left.
   */
  private async untilExit(group: ProcessGroup, stop: AbortSignal): Promise<ProcessExit> {
    const pending: { stopping: Promise<ProcessExit> | null } = { stopping: null };
    const onStop = (): void => {
      const reason = stopReasonOf(stop) ?? 'shutdown';
      pending.stopping ??=
        reason === 'revoked' ? group.kill(reason) : group.stop(reason, this.config.RUN_STOP_GRACE_MS);
    };
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    try {
      await group.exited;
      if (pending.stopping !== null) return await pending.stopping;
      // The leader exited on its own; what it left in its group (an orphaned vLLM, a tail -F)
      // must not outlive it and keep a GPU. Same exit, stoppedFor null.
      return await group.stop('shutdown', LEFTOVER_GRACE_MS);
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  }

  private logShipper(context: AttemptContext, stream: 'stdout' | 'stderr'): LogShipper {
    return new LogShipper({
      client: this.client,
      runId: context.claim.runId,
      leaseToken: context.claim.leaseToken,
      attempt: context.claim.attempt,
      stream,
      onLeaseLost: () => this.revoke(context),
    });
  }

  private revoke(context: AttemptContext): void {
    context.run.stop.abort('revoked');
  }
}

/**
 * An earlier attempt ended training (its final checkpoint is here, unchanged, and every step's
 * rollouts are stored) but was lost before the API recorded it: record it now, without running
 * the GPU again. prime-rl does not run, so there is no exit code.
 */
async function recommit(
  finalStep: number,
  context: AttemptContext,
  report: ReturnType<typeof attemptReporter>,
): Promise<AttemptResult> {
  const message =
    `training had ended: every step is stored and the final checkpoint (step ${finalStep}) is ` +
    'unchanged; recording the run as succeeded without starting prime-rl';
  context.agentLog.push(message);
  await report.event({ type: 'recommitted', message, data: { step: finalStep } });
  return { verdict: { outcome: 'succeeded' }, exit: null, stderrTail: null };
}

/** null when all settled, else the first failure's message. */
async function settle(promises: Promise<unknown>[]): Promise<string | null> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (!failed) return null;
  return failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
}

function describeExit(exit: ProcessExit): string {
  const how = exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${String(exit.exitCode)}`;
  return `prime-rl ${how}${exit.stoppedFor ? ` (stopped: ${exit.stoppedFor})` : ''}`;
}

function shippingSummary(stats: RolloutShipper['stats'], orchestratorSteps: number): string {
  return (
    `rollouts: ${stats.received} read, ${stats.shipped} stored, ${stats.duplicates} already stored, ` +
    `${stats.malformed} malformed, ${stats.rewardMismatches} reward mismatch(es); ` +
    `${orchestratorSteps} orchestrator step line(s)`
  );
}
