/**
 * Bounds and vocabularies of the agent-facing API, shared by the API (validation) and the
 * gpu-agent (which must batch and truncate to fit them). Stored values (streams, outcomes,
 * checkpoint kinds) are copies of CHECK lists in the database migrations: change them with one.
 */
export const AGENT_LIMITS = {
  nameMaxLength: 128,
  labelsMax: 32,
  gpusMax: 64,
  gpuIndexMax: 63,
  /** Runs one heartbeat may report. */
  heartbeatRunsMax: 256,
  /** Orchestrator step entries in one progress report. */
  progressStepsMax: 1000,
  stepMax: 10_000_000,
  /** Lines in one log batch. */
  logBatchLinesMax: 5000,
  /** UTF-8 bytes of one log line: the agent cuts longer lines. */
  logLineMaxBytes: 16 * 1024,
  /**
   * Bytes of one batch's lines as JSON-encoded strings (`JSON.stringify(line)`, UTF-8): the agent
   * starts a new batch before this, which keeps the body under the API's default 1 MiB JSON limit.
   */
  logBatchMaxBytes: 512 * 1024,
  eventMessageMaxLength: 4000,
  /** Serialized JSON bytes of an event's data. */
  eventDataMaxBytes: 64 * 1024,
  checkpointPathMaxLength: 1024,
  errorMessageMaxLength: 4000,
  /** UTF-8 bytes of the stderr tail a failed run reports. */
  stderrTailMaxBytes: 8 * 1024,
} as const;

/** An agent's name: what AGENT_NAME is on the host (unique in the fleet). */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A host name as the agent's OS reports it. */
export const HOSTNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** A software version: semver with pre-release and build parts, or a git ref such as v0.4.0. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.+_/-]{0,127}$/;

/** A GPU's UUID as nvidia-smi prints it (GPU-…, or MIG-… with slashes). */
export const GPU_UUID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9/_.-]{0,127}$/;

/** A signal name as Node reports it: SIGKILL, SIGTERM, … */
export const SIGNAL_PATTERN = /^SIG[A-Z0-9]{1,16}$/;

/** An agent-reported event type, e.g. `reward-mismatch`, `checkpoint.detected`. */
export const RUN_EVENT_TYPE_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;

/** Event types the API writes itself: an agent may not report them. */
export const RESERVED_RUN_EVENT_TYPES: readonly string[] = ['created', 'status'];

export const LOG_STREAMS = ['stdout', 'stderr', 'agent'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

export const CHECKPOINT_KINDS = ['trainer', 'weights', 'broadcast'] as const;
export type CheckpointKindName = (typeof CHECKPOINT_KINDS)[number];

/** The checkpoint kind a run resumes from (prime-rl's `ckpt.resume_step` needs the trainer state). */
export const RESUMABLE_CHECKPOINT_KIND: CheckpointKindName = 'trainer';

/** How an attempt ended, as the agent reports it. */
export const RUN_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** What an agent may report about itself in a heartbeat (offline is the reaper's verdict). */
export const AGENT_REPORTED_STATUSES = ['online', 'draining'] as const;
export type AgentReportedStatus = (typeof AGENT_REPORTED_STATUSES)[number];

export const AGENT_STATUSES = ['online', 'draining', 'offline'] as const;
export type AgentStatusName = (typeof AGENT_STATUSES)[number];

/**
 * Why a path is not a safe checkpoint path (relative to the run's work directory), or null when
 * it is: no absolute paths, no `..` or `.` segments, no empty segments, no backslashes or
 * control characters.
 */
export function relativePathProblem(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.length > AGENT_LIMITS.checkpointPathMaxLength)
    return `must be at most ${AGENT_LIMITS.checkpointPathMaxLength} characters`;
  if (value.startsWith('/') || /^[A-Za-z]:/.test(value)) return 'must be relative to the run directory';
  if (value.includes('\\')) return 'must use / as separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  const segments = value.split('/');
  if (segments.some((s) => s === '..')) return 'must not contain ".." segments';
  if (segments.some((s) => s === '' || s === '.')) return 'must not contain empty or "." segments';
  return null;
}

/** UTF-8 byte length of a string (a lone surrogate counts as U+FFFD, 3 bytes, as encoders write it). */
export function utf8Bytes(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
