import { join, resolve } from 'node:path';

import { AgentApiClient } from '../api-client/agent-api.client.js';
import { isLeaseLoss } from '../api-client/api-errors.js';
import { retryWhileUnavailable } from '../api-client/retry.js';
import type { CheckpointState } from '../checkpoints/checkpoint-watcher.js';
import { AgentConfig } from '../config/agent.config.js';
import type { LocalPortBook } from '../net/local-port-book.js';
import { ProcessLedger } from '../process/process-ledger.js';
import type { RunEventReport } from '../shipping/sampled-event-reporter.js';
import type { AttemptContext } from './run-executor.js';

/** How long a report about an attempt may wait for the API before the attempt gives up on it. */
const REPORT_DEADLINE_MS = 60_000;

/** What every executor works with. */
export interface AttemptServices {
  config: AgentConfig;
  client: AgentApiClient;
  /** Process groups this agent started, for the next incarnation to kill. */
  ledger: ProcessLedger;
  /** The agent's current incarnation (recorded with each process group). */
  incarnation: () => string;
  /** Local ports handed to attempts still running (prime-rl binds them minutes later). */
  ports: LocalPortBook;
}

/** The prime-rl checkout `uv run` runs in. */
export function primeRlCheckout(config: AgentConfig): string {
  return resolve(config.PRIME_RL_DIR ?? join(config.AGENT_WORK_DIR, 'prime-rl'));
}

/** The directory of run `runId`, the same for all its attempts (AGENT_RUNS_DIR, or the work dir's runs/). */
export function runDirectory(config: AgentConfig, runId: string): string {
  return join(resolve(config.AGENT_RUNS_DIR ?? join(config.AGENT_WORK_DIR, 'runs')), runId);
}

export interface AttemptReporter {
  /** A run event (ReportRunEventDto without the lease token, which the reporter adds). */
  event(event: RunEventReport): Promise<void>;
  checkpoint(state: CheckpointState): Promise<void>;
}

/**
 * Events and checkpoints of one attempt, fenced by its lease and retried while the API is
 * unreachable; a lease the API no longer honours stops the run (`revoked`).
 */
export function attemptReporter(client: AgentApiClient, context: AttemptContext): AttemptReporter {
  const { runId, leaseToken } = context.claim;
  const fenced = async (call: () => Promise<unknown>): Promise<void> => {
    try {
      await retryWhileUnavailable(call, { deadlineMs: REPORT_DEADLINE_MS });
    } catch (error) {
      if (isLeaseLoss(error)) {
        context.run.stop.abort('revoked');
      } else {
        throw error;
      }
    }
  };
  return {
    event: (event) => fenced(() => client.event(runId, { leaseToken, ...event })),
    checkpoint: (state) => fenced(() => client.checkpoint(runId, { leaseToken, ...state })),
  };
}
