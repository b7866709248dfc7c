import { LineFollower } from '../files/line-follower.js';

/**
 * The orchestrator's console feeds progress, which is reported at most once a second anyway; the
 * rollout log is polled 4 times a second (each poll is a wake-up and an fstat for the agent), and
 * a batch is timed by its lines' own `ts`, so the poll does not add to a rollout's latency.
 */
const ORCHESTRATOR_LOG_POLL_MS = 500;
const ROLLOUT_LOG_POLL_MS = 250;

export interface OutputFollowerOptions {
  orchestratorLog: string;
  rolloutLog: string;
  onOrchestratorLine: (line: string) => void;
  onRolloutLine: (line: string) => void;
  /** Called once, with the first follower's failure. */
  onError: (error: Error) => void;
}

/**
 * The two files of a training attempt the agent reads while prime-rl writes them: the
 * orchestrator's console log and the env's rollout log, each line handed on as it lands. A
 * follower that fails (EACCES, EMFILE) must fail the attempt, not the agent: its error is kept
 * (no unhandled rejection) for the verdict once prime-rl has exited.
 */
export class OutputFollowers {
  private readonly followers: LineFollower[];
  private readonly pumps: Promise<void>[];
  private failure: Error | null = null;

  constructor(options: OutputFollowerOptions) {
    const orchestrator = new LineFollower(options.orchestratorLog, { pollMs: ORCHESTRATOR_LOG_POLL_MS });
    const rollouts = new LineFollower(options.rolloutLog, { pollMs: ROLLOUT_LOG_POLL_MS });
    this.followers = [orchestrator, rollouts];
    this.pumps = [pump(orchestrator, options.onOrchestratorLine), pump(rollouts, options.onRolloutLine)].map(
      (pumping) =>
        pumping.catch((error: unknown) => {
          if (this.failure !== null) return;
          this.failure = error instanceof Error ? error : new Error(String(error));
          options.onError(this.failure);
        }),
    );
  }

  /** The first follower's failure, or null. */
  get error(): Error | null {
    return this.failure;
  }

  /** prime-rl has exited: read what is left in both files (up to `deadlineMs`), then stop. */
  async finish(deadlineMs: number): Promise<void> {
    await Promise.all(this.followers.map((follower) => follower.finish(deadlineMs)));
    await Promise.all(this.pumps);
  }

  /** Nothing started: stop at once, or each failed launch leaves pollers behind. */
  async close(): Promise<void> {
    await Promise.all(this.followers.map((follower) => follower.close()));
    await Promise.all(this.pumps);
  }
}

async function pump(follower: LineFollower, onLine: (line: string) => void): Promise<void> {
  for await (const line of follower.lines()) onLine(line);
}
