import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { CheckpointRefDto } from '@brier/contracts';

import { AgentApiClient } from '../api-client/agent-api.client.js';
import { AgentConfig } from '../config/agent.config.js';
import type { ExitVerdict } from '../process/exit-verdict.js';
import { launchRecorded } from '../process/recorded-launch.js';
import {
  attemptReporter,
  primeRlCheckout,
  runDirectory,
  type AttemptServices,
} from '../runs/attempt-services.js';
import { childEnvironment } from '../runs/child-environment.js';
import { adapterFor, claimedSpec } from '../runs/claimed-spec.js';
import { stopReasonOf } from '../runs/held-runs.js';
import {
  AttemptSetupError,
  type AttemptContext,
  type AttemptResult,
  type RunExecutor,
} from '../runs/run-executor.js';
import { RolloutShipper } from '../shipping/rollout-shipper.js';
import { planEvaluation } from './eval-plan.js';
import { evalModelFor } from './eval-model.js';
import type { LaunchServer } from './eval-ports.js';
import { EvaluationError } from './evaluation-error.js';
import { runEvaluation } from './run-evaluation.js';

const HEALTH_DEADLINE_MS = 15 * 60_000; // vLLM loading a model from a cold cache
const REQUEST_TIMEOUT_MS = 5 * 60_000;
const SHIP_DEADLINE_MS = 5 * 60_000;

/**
 * An evaluation attempt: serve the model (or a checkpoint) with prime-rl's inference server on the
 * reserved GPUs, or ask an external endpoint; ask every question k times; score and ship each
 * answer like a training step's rollouts (as step 0).
 */
export class EvalAttempt implements RunExecutor {
  private readonly config: AgentConfig;
  private readonly client: AgentApiClient;

  constructor(private readonly services: AttemptServices) {
    this.config = services.config;
    this.client = services.client;
  }

  async run(context: AttemptContext): Promise<AttemptResult> {
    const { claim, run, attemptDir, agentLog } = context;
    const spec = claimedSpec(claim, 'eval');
    const adapter = adapterFor(this.config.PRIME_RL_VERSION);
    const { EVAL_ENDPOINT_API_KEY: apiKey, EVAL_ENDPOINT_ORIGIN: origin } = this.config;
    const endpointKey = apiKey !== undefined && origin !== undefined ? { origin, apiKey } : undefined;
    const model = evalModelFor(spec.target, (checkpoint) => this.checkpointWeights(checkpoint), endpointKey);
    const plan = await planEvaluation(spec, this.datasetPath());
    const report = attemptReporter(this.client, context);
    const rollouts = new RolloutShipper({
      client: this.client,
      runId: claim.runId,
      leaseToken: claim.leaseToken,
      attempt: claim.attempt,
      batchSize: plan.rollouts,
      startStep: 0,
      reward: spec.reward,
      spoolDir: join(attemptDir, 'spool'),
      onStepStored: (step) => {
        run.step = step;
      },
      onLeaseLost: () => run.stop.abort('revoked'),
      onEvent: (event) => report.event(event),
    });

    let verdict: ExitVerdict;
    // Its server's port, held until the attempt ends (vLLM binds it only once the model is loaded).
    const serverPort = await this.services.ports.reserve({ inference: [0] });
    try {
      const summary = await runEvaluation({
        spec,
        runId: claim.runId,
        runDir: attemptDir,
        gpuIds: [...context.gpuIndices],
        model,
        adapter,
        primeRlDir: primeRlCheckout(this.config),
        uvCommand: this.config.UV_BIN,
        launchServer: this.serverLauncher(context),
        serverPort: serverPort.ports['inference']!,
        serverEnvironment: (env) => childEnvironment(this.config, env),
        sink: rollouts,
        signal: run.stop.signal,
        healthDeadlineMs: HEALTH_DEADLINE_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        stopGraceMs: this.config.RUN_STOP_GRACE_MS,
        log: (line) => agentLog.push(line),
        plan,
      });
      agentLog.push(
        `evaluation done: ${summary.questions} question(s), ${summary.rollouts} answer(s), ` +
          `${summary.failedRequests} unanswered, ${summary.seconds.toFixed(1)} s`,
      );
      verdict = { outcome: 'succeeded' };
    } catch (error) {
      verdict = verdictOf(error, stopReasonOf(run.stop.signal));
    } finally {
      // runEvaluation stops the server it started before it returns or throws.
      serverPort.release();
      run.processGroups.clear();
      await this.services.ledger.remove(claim.runId);
    }
    if (stopReasonOf(run.stop.signal) !== 'revoked') {
      try {
        await rollouts.close(SHIP_DEADLINE_MS);
      } catch (error) {
        if (verdict.outcome === 'succeeded') {
          const reason = error instanceof Error ? error.message : String(error);
          verdict = { outcome: 'failed', retryable: true, reason: `answers not all stored: ${reason}` };
        }
      }
    }
    return { verdict, exit: null, stderrTail: null };
  }

  /** Servers run like training: their own process group, recorded for the next incarnation. */
  private serverLauncher(context: AttemptContext): LaunchServer {
    return async (launch) => {
      const group = await launchRecorded(
        {
          ledger: this.services.ledger,
          runId: context.claim.runId,
          incarnation: this.services.incarnation(),
        },
        launch,
      );
      context.run.processGroups.add(group.pgid);
      return group;
    };
  }

  private checkpointWeights(checkpoint: CheckpointRefDto): string {
    const path = join(
      runDirectory(this.config, checkpoint.runId),
      'rl',
      'weights',
      `step_${checkpoint.step}`,
    );
    if (!existsSync(path)) {
      throw new AttemptSetupError(
        `checkpoint step ${checkpoint.step} of run ${checkpoint.runId} is not on this host (no ${path})`,
      );
    }
    return path;
  }

  private datasetPath(): string | undefined {
    return this.config.BRIER_DATASET_PATH ? resolve(this.config.BRIER_DATASET_PATH) : undefined;
  }
}

/** What an evaluation's failure makes of the run. */
function verdictOf(error: unknown, stoppedFor: string | null): ExitVerdict {
  if (stoppedFor === 'cancel') return { outcome: 'cancelled' };
  if (error instanceof AttemptSetupError) throw error;
  if (error instanceof EvaluationError) {
    // Bad input does not get better by retrying; a server or network problem may.
    return { outcome: 'failed', retryable: error.code !== 'bad-input', reason: error.message };
  }
  throw error;
}
