import { stat } from 'node:fs/promises';

import { execa } from 'execa';

import { ChildOutput } from './child-output.js';
import {
  isGroupAlive,
  liveGroupMembers,
  readProcessStat,
  signalGroup,
  waitForGroupGone,
} from './group-liveness.js';
import { AppendFile } from './process-output.js';

export type StopReason = 'cancel' | 'revoked' | 'shutdown' | 'timeout';

export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why the agent stopped it; null when the leader exited on its own. */
  stoppedFor: StopReason | null;
}

export interface LaunchOptions {
  command: string;
  args: string[];
  cwd: string;
  /** The FULL environment of the child (the caller merges process.env and extras); no shell ever. */
  env: Record<string, string>;
  /** Appended to (created with parent folders). */
  stdoutPath: string;
  stderrPath: string;
  /** Complete lines as they come (raw, '\r' kept); a last unterminated line once its pipe ends. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** After SIGKILL, how long the group may take to vanish before stop() gives up. Default 10 s. */
  killDeadlineMs?: number;
  /** After the leader exits, how long to wait for its pipes to drain. Default 500 ms. */
  drainMs?: number;
}

/** The group outlived SIGKILL and the deadline (a process stuck in the kernel, state D). */
export class ProcessGroupSurvivedError extends Error {
  constructor(
    readonly pgid: number,
    readonly survivors: number[],
    deadlineMs: number,
  ) {
    super(
      `process group ${pgid} still has ${survivors.length} process(es) ${deadlineMs} ms after SIGKILL ` +
        `(pids ${survivors.join(', ') || 'unknown'})`,
    );
    this.name = 'ProcessGroupSurvivedError';
  }
}

const DEFAULT_STDERR_TAIL = 8 * 1024;
const DEFAULT_KILL_DEADLINE_MS = 10_000;
const DEFAULT_DRAIN_MS = 500;
/** Once the group is gone its pipes close at once, unless a process that left the group holds them. */
const PIPE_CLOSE_AFTER_GROUP_MS = 1_000;

interface LeaderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child started in its own process group (pgid = its pid), with stdout and stderr teed to
 * files and a line callback. Stopping signals the whole group, so prime-rl's grandchildren
 * (vLLM, torchrun ranks, a `tail -F`) go with the launcher.
 */
export class ProcessGroup {
  readonly pgid: number;
  /**
   * Resolves when the leader exits, once its pipes drained (at most drainMs): a grandchild that
   * keeps them open does not delay it. Never rejects. Grandchildren may still run: stop() or
   * kill() clears the group, also after a normal exit.
   */
  readonly exited: Promise<ProcessExit>;

  private stopReason: StopReason | null = null;
  private leaderExited = false;
  private termination: Promise<ProcessExit> | null = null;
  private readonly escalation = new AbortController();

  private constructor(
    readonly pid: number,
    /** The leader's start time in clock ticks after boot (/proc): record it in the ledger against PID reuse; null without /proc. */
    readonly startTicks: number | null,
    private readonly options: LaunchOptions,
    private readonly output: ChildOutput,
    leaderExit: Promise<LeaderExit>,
  ) {
    this.pgid = pid;
    this.exited = leaderExit.then((exit) => this.settle(exit));
  }

  /** Spawns the command; resolves once it runs (pid known), rejects when it cannot start. */
  static async launch(options: LaunchOptions): Promise<ProcessGroup> {
    const cwd = await stat(options.cwd).catch(() => null);
    if (!cwd?.isDirectory()) {
      throw new Error(`cannot start ${options.command}: working directory ${options.cwd} does not exist`);
    }
    const files = {
      stdout: await AppendFile.open(options.stdoutPath),
      stderr: await AppendFile.open(options.stderrPath),
    };
    const subprocess = execa(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      detached: true, // its own process group, so the whole tree can be signalled
      cleanup: false, // outliving the agent is the ledger's business, not an exit hook's
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      encoding: 'buffer',
      stripFinalNewline: false,
      reject: false,
    });
    // Everything below up to the first await runs before any output or exit can be delivered.
    const output = new ChildOutput(
      { stdout: subprocess.stdout, stderr: subprocess.stderr },
      files,
      options.onLine,
    );
    // The exit comes from the 'exit' event, which fires even while a grandchild keeps the pipes
    // open; execa's own promise waits for the pipes, so it is only watched for unexpected errors.
    const leaderExit = new Promise<LeaderExit>((resolve) =>
      subprocess.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const spawned = new Promise<void>((resolve, reject) => {
      subprocess.once('spawn', () => resolve());
      subprocess.once('error', reject);
    });
    subprocess.then(undefined, (error: unknown) => output.noteProblem(error));
    try {
      await spawned;
    } catch (error) {
      await output.release();
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new Error(`cannot start ${options.command} (${code}): ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (subprocess.pid === undefined) throw new Error(`cannot start ${options.command}: no pid after spawn`);
    // At once, while the leader surely still holds its pid; exec keeps the start time (uv → rl).
    const startTicks = (await readProcessStat(subprocess.pid))?.startTicks ?? null;
    return new ProcessGroup(subprocess.pid, startTicks, options, output, leaderExit);
  }

  /**
   * SIGINT to the whole group (classic prime-rl has no SIGTERM handler; SIGINT is its
   * KeyboardInterrupt), up to graceMs for the group to leave, then SIGKILL to the group, then a
   * wait (killDeadlineMs) until no process of it runs. Idempotent: later calls share the first.
   * Rejects with ProcessGroupSurvivedError if the group outlives that deadline.
   */
  stop(reason: StopReason, graceMs: number): Promise<ProcessExit> {
    this.noteReason(reason);
    this.termination ??= this.terminate(graceMs);
    return this.termination;
  }

  /** SIGKILL to the group now (also cuts short a stop() in its grace period), same wait. */
  kill(reason: StopReason): Promise<ProcessExit> {
    this.noteReason(reason);
    this.escalation.abort();
    this.termination ??= this.terminate(0);
    return this.termination;
  }

  /** The last bytes of stderr (default 8 KiB), for error reports. */
  stderrTail(maxBytes = DEFAULT_STDERR_TAIL): string {
    return this.output.stderrTail(maxBytes);
  }

  /** Failures on the side (a log file that could not be written, an onLine that threw). */
  outputProblems(): readonly Error[] {
    return this.output.sideProblems();
  }

  private noteReason(reason: StopReason): void {
    // A stop asked after the leader exited did not cause that exit.
    if (!this.leaderExited && this.stopReason === null) this.stopReason = reason;
  }

  private async terminate(graceMs: number): Promise<ProcessExit> {
    const deadlineMs = this.options.killDeadlineMs ?? DEFAULT_KILL_DEADLINE_MS;
    if (graceMs > 0 && !this.escalation.signal.aborted) {
      signalGroup(this.pgid, 'SIGINT');
      await waitForGroupGone(this.pgid, graceMs, this.escalation.signal);
    }
    if (await isGroupAlive(this.pgid)) signalGroup(this.pgid, 'SIGKILL');
    if (!(await waitForGroupGone(this.pgid, deadlineMs))) {
      throw new ProcessGroupSurvivedError(this.pgid, (await liveGroupMembers(this.pgid)) ?? [], deadlineMs);
    }
    const exit = await this.exited;
    await this.output.waitClosed(PIPE_CLOSE_AFTER_GROUP_MS);
    await this.output.release();
    return exit;
  }

  /** The leader is gone: let its pipes drain briefly, hand out unfinished lines, flush the files. */
  private async settle(exit: LeaderExit): Promise<ProcessExit> {
    this.leaderExited = true;
    const stoppedFor = this.stopReason;
    await this.output.waitClosed(this.options.drainMs ?? DEFAULT_DRAIN_MS);
    this.output.flushLines();
    await this.output.flushed();
    return { exitCode: exit.code, signal: exit.signal, stoppedFor };
  }
}
