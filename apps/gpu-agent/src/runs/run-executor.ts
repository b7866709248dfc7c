import type { ClaimRunResponse } from '@brier/contracts';

import type { ExitVerdict } from '../process/exit-verdict.js';
import type { ProcessExit } from '../process/process-group.js';
import type { LogShipper } from '../shipping/log-shipper.js';
import type { HeldRun } from './held-runs.js';

/** One claimed attempt, as an executor receives it. */
export interface AttemptContext {
  claim: ClaimRunResponse;
  run: HeldRun;
  agentId: string;
  /** Physical GPU indices reserved for it (nvidia-smi order). */
  gpuIndices: readonly number[];
  /** `<work dir>/runs/<runId>`: shared by the run's attempts (checkpoints live here). */
  runDir: string;
  /** `<runDir>/attempt-<n>`: this attempt's own files (config, logs, rollout log, spool). */
  attemptDir: string;
  /** The run's `agent` log stream: what the agent itself did, for the researcher. */
  agentLog: LogShipper;
}

/** How an attempt ended. */
export interface AttemptResult {
  verdict: ExitVerdict;
  /** The main process's exit, when one ran. */
  exit: ProcessExit | null;
  /** The end of its stderr, for the failure report. */
  stderrTail: string | null;
}

/** Runs one kind of run (train, eval) for one attempt; resolves when it has ended and shipped. */
export interface RunExecutor {
  run(context: AttemptContext): Promise<AttemptResult>;
}

/** A run that cannot be started as specified (bad spec, unknown prime-rl version): never retried. */
export class AttemptSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttemptSetupError';
  }
}
