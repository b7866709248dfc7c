import type { EvalSpecDto } from '@brier/contracts';

import type { PrimeRlAdapter } from '../prime-rl/prime-rl-adapter.js';
import { askQuestions, type AskQuestionsResult } from './ask-questions.js';
import type { ChatTarget, RequestPolicy } from './chat-completions.js';
import type { EvalModel, EvalRecordSink, LaunchServer, ServerStopReason } from './eval-ports.js';
import { planEvaluation, type EvalPlan } from './eval-plan.js';
import type { EvalQuestion } from './eval-questions.js';
import { EvaluationError } from './evaluation-error.js';
import {
  describeExit,
  hostEnvironment,
  launchInferenceServer,
  type LaunchedServer,
} from './inference-server.js';
import { waitUntilReady } from './server-readiness.js';

export interface RunEvaluationOptions {
  spec: EvalSpecDto;
  runId: string;
  /** The run's directory (absolute): the server's console files go under it. */
  runDir: string;
  /** Physical GPUs reserved for the server (unused for an endpoint). */
  gpuIds: number[];
  model: EvalModel;
  adapter: PrimeRlAdapter;
  primeRlDir: string;
  uvCommand: string;
  launchServer: LaunchServer;
  /** The local port a server this evaluation starts listens on (held for it in LocalPortBook). */
  serverPort: number;
  sink: EvalRecordSink;
  signal: AbortSignal;
  /** How long the server (or endpoint) may take to answer healthy and list the model. */
  healthDeadlineMs: number;
  /** Per HTTP request. */
  requestTimeoutMs: number;
  /** Agent-stream log lines for the run. */
  log: (line: string) => void;
  /** A local BoolQ jsonl; default: the host's copy of the spec's split (libs/boolq's data dir). */
  datasetPath?: string;
  /** The questions, when the caller planned already (planEvaluation with the same spec); else planned here. */
  plan?: EvalPlan;
  /**
   * The server's FULL environment from the adapter's additions (CUDA_VISIBLE_DEVICES, …): the
   * process layer passes no other. Default hostEnvironment (this process's environment plus them);
   * the agent's childEnvironment (minus its own settings, plus HF_TOKEN) belongs here. Never logged.
   */
  serverEnvironment?: (adapterEnv: Record<string, string>) => Record<string, string>;
  /** Tries per request (default 3) and the first retry delay (default 1 s, doubling). */
  retry?: Partial<Pick<RequestPolicy, 'attempts' | 'retryDelayMs'>>;
  /** Between health probes; default 500 ms. */
  healthPollMs?: number;
  /** The server's grace between the stop signal and the kill; default 30 s. */
  stopGraceMs?: number;
  /** For the sink's final flush; default 60 s. */
  flushDeadlineMs?: number;
}

export interface EvaluationSummary {
  questions: number;
  rollouts: number;
  /** Questions that got no answer after retries (tolerated up to MAX_FAILED_SHARE). */
  failedRequests: number;
  seconds: number;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_MS = 1_000;
const DEFAULT_HEALTH_POLL_MS = 500;
const DEFAULT_STOP_GRACE_MS = 30_000;
const DEFAULT_FLUSH_DEADLINE_MS = 60_000;
const STOP_REASONS: readonly ServerStopReason[] = ['cancel', 'revoked', 'shutdown', 'timeout'];

/**
 * One evaluation run: the spec's questions (default: BoolQ validation, seeded order) rendered
 * with its prompt template, each answered k times by prime-rl's inference server started on the
 * reserved GPUs (or by an endpoint that is already up), every completion scored with
 * libs/calibration and pushed to the sink as the calibrated_qa env would log it (step 0), then a
 * final flush. A server this call started is always stopped before it returns or throws.
 * Failures are EvaluationErrors (see its codes); cancellation through `signal` stops promptly.
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<EvaluationSummary> {
  const started = Date.now();
  const { spec, log, signal } = options;
  if (signal.aborted) {
    throw new EvaluationError('cancelled', 'evaluation cancelled before it started', {
      cause: signal.reason,
    });
  }
  const plan = options.plan ?? (await planEvaluation(spec, options.datasetPath));
  const { questions } = plan;
  if (signal.aborted) {
    throw new EvaluationError('cancelled', 'evaluation cancelled before it asked', { cause: signal.reason });
  }
  log(
    `eval ${options.runId}: ${questions.length} questions from ${plan.datasetPath} (seed ${spec.dataset.seed}), ` +
      `${spec.samplesPerQuestion} samples each, prompt ${plan.promptTemplate}, ${spec.concurrency} in flight`,
  );

  const asked =
    options.model.kind === 'endpoint'
      ? await askEndpoint(options, questions, {
          baseUrl: options.model.baseUrl,
          model: options.model.model,
          ...(options.model.apiKey === undefined ? {} : { apiKey: options.model.apiKey }),
        })
      : await askOwnServer(options, questions, options.model.modelNameOrPath);

  await options.sink.flush(options.flushDeadlineMs ?? DEFAULT_FLUSH_DEADLINE_MS);
  const summary = {
    questions: questions.length,
    rollouts: asked.rollouts,
    failedRequests: asked.failedRequests,
    seconds: (Date.now() - started) / 1000,
  };
  log(
    `eval ${options.runId}: done, ${summary.rollouts} rollouts for ${summary.questions} questions ` +
      `(${summary.failedRequests} unanswered) in ${summary.seconds.toFixed(1)} s`,
  );
  return summary;
}

function requestPolicy(options: RunEvaluationOptions): RequestPolicy {
  return {
    timeoutMs: options.requestTimeoutMs,
    attempts: options.retry?.attempts ?? DEFAULT_ATTEMPTS,
    retryDelayMs: options.retry?.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
  };
}

async function askEndpoint(
  options: RunEvaluationOptions,
  questions: readonly EvalQuestion[],
  target: ChatTarget,
): Promise<AskQuestionsResult> {
  options.log(`eval: endpoint ${target.baseUrl}, model ${target.model}`);
  await waitUntilReady(target, null, {
    deadlineMs: options.healthDeadlineMs,
    pollMs: options.healthPollMs ?? DEFAULT_HEALTH_POLL_MS,
    signal: options.signal,
  });
  return askQuestions(questions, { ...options, target, policy: requestPolicy(options) });
}

async function askOwnServer(
  options: RunEvaluationOptions,
  questions: readonly EvalQuestion[],
  model: string,
): Promise<AskQuestionsResult> {
  const { log } = options;
  const server = await launchInferenceServer({
    port: options.serverPort,
    adapter: options.adapter,
    model,
    gpuIds: options.gpuIds,
    runDir: options.runDir,
    primeRlDir: options.primeRlDir,
    uvCommand: options.uvCommand,
    launchServer: options.launchServer,
    environment: options.serverEnvironment ?? hostEnvironment,
  });
  log(
    `eval: started ${server.commandLine} on GPU(s) ${options.gpuIds.join(',')}; console in ${server.stdoutPath}`,
  );
  const died: Promise<Error> = server.handle.exited.then(
    async (exit) =>
      new EvaluationError(
        'server-exited',
        `the inference server ${await describeExit(exit, server.stderrPath)}`,
      ),
    (error: Error) =>
      new EvaluationError('server-exited', `the inference server's exit was not observed: ${error.message}`),
  );
  let failure: unknown;
  try {
    const ready = await waitUntilReady(server.target, server.origin, {
      deadlineMs: options.healthDeadlineMs,
      pollMs: options.healthPollMs ?? DEFAULT_HEALTH_POLL_MS,
      signal: options.signal,
      died,
    });
    log(`eval: inference server ready after ${ready.seconds.toFixed(1)} s`);
    return await askQuestions(questions, {
      ...options,
      target: server.target,
      policy: requestPolicy(options),
      died,
    });
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await stopServer(server, stopReason(options.signal, failure), options, failure === undefined);
  }
}

/** Why the server is stopped, in the process layer's words. */
function stopReason(signal: AbortSignal, failure: unknown): ServerStopReason {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return STOP_REASONS.find((known) => known === reason) ?? 'cancel';
  }
  if (failure instanceof EvaluationError && failure.code === 'server-not-ready') return 'timeout';
  return 'shutdown';
}

/** Stop the server; a failure to stop is the result only when nothing failed before it. */
async function stopServer(
  server: LaunchedServer,
  reason: ServerStopReason,
  options: RunEvaluationOptions,
  rethrow: boolean,
): Promise<void> {
  try {
    await server.handle.stop(reason, options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    options.log(`eval: inference server stopped (${reason})`);
  } catch (error) {
    options.log(`eval: stopping the inference server failed: ${(error as Error).message}`);
    if (rethrow) throw error;
  }
}
