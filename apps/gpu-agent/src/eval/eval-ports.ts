/**
 * What an evaluation needs from the rest of the agent, as narrow interfaces: a way to start a
 * process group (the process layer's ProcessGroup.launch) and a place to send records (the
 * RolloutShipper). Keeping them here lets the evaluation be tested with real processes and a
 * collecting sink, without the worker around it.
 */

export type ServerStopReason = 'cancel' | 'revoked' | 'shutdown' | 'timeout';

export interface ServerExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** A started server process group; matches the process layer's ProcessGroup. */
export interface ServerHandle {
  /** Signal the group, wait up to graceMs, then kill it; resolves once it is gone. */
  stop(reason: ServerStopReason, graceMs: number): Promise<unknown>;
  readonly exited: Promise<ServerExit>;
}

export interface ServerLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
}

/** Matches the process layer's `ProcessGroup.launch(options)`. */
export type LaunchServer = (launch: ServerLaunch) => Promise<ServerHandle>;

/** Takes one env-log-shaped JSON line per rollout (the RolloutShipper). */
export interface EvalRecordSink {
  push(line: string): void;
  /** Ship everything pushed so far, giving up after deadlineMs milliseconds. */
  flush(deadlineMs: number): Promise<void>;
}

/** What answers the questions: a server this evaluation starts, or one that is already up. */
export type EvalModel =
  | {
      kind: 'endpoint';
      baseUrl: string;
      model: string;
      /** Sent as a bearer token; never logged. */ apiKey?: string;
    }
  | { kind: 'serve'; modelNameOrPath: string };
