import type { ProcessExit, StopReason } from './process-group.js';

export type ExitVerdict =
  | { outcome: 'succeeded' }
  | { outcome: 'cancelled' }
  | { outcome: 'failed'; retryable: boolean; reason: string };

interface Cause {
  pattern: RegExp;
  cause: string;
}

/**
 * Failures of the machine, not of the run: another attempt (maybe on another GPU or host) can
 * succeed. Checked before the config errors below: a host fault can surface as a misleading
 * secondary error, and infrastructure failures are always worth another try (reliability.md §2.9).
 */
const TRANSIENT: Cause[] = [
  {
    // rl.py's console when a child died of SIGKILL (Popen's -9, or 137 through a shell or uv).
    pattern: /\bfailed with exit code (?:-9|137)\b/,
    cause: "a process of the run was killed by SIGKILL, likely by the kernel's OOM killer",
  },
  { pattern: /CUDA out of memory|torch\.(cuda\.)?OutOfMemoryError/, cause: 'the GPU ran out of memory' },
  { pattern: /\bNCCL\b|\bnccl[A-Z]\w*Error\b/, cause: 'NCCL communication failed' },
  { pattern: /\bXid\b/, cause: 'the GPU driver reported an Xid error' },
  { pattern: /CUDA error|CUDA driver error|cudaError\w*/, cause: 'CUDA reported an error' },
  {
    pattern: /Connection reset|ConnectionResetError|ECONNRESET/i,
    cause: 'a connection was reset',
  },
];

/** The run's own config or installation is wrong: the same attempt fails again, so never retry. */
const CONFIG_ERRORS: Cause[] = [
  { pattern: /\bunrecognized arguments\b/, cause: 'the command line has unrecognized arguments' },
  { pattern: /\bValidationError\b/, cause: 'the config failed validation (pydantic ValidationError)' },
  { pattern: /\b(ModuleNotFoundError|ImportError)\b/, cause: 'a Python module could not be imported' },
  { pattern: /TOMLDecodeError/, cause: 'the config file is not valid TOML' },
  {
    pattern:
      /TOML file \S+ does not exist|config(uration)? file\b[^\n]*\bnot (found|exist)|No such file or directory:? '?[^'\n]*\.(toml|json|ya?ml)\b/i,
    cause: 'a config file was not found',
  },
];

const STOPPED: Record<Exclude<StopReason, 'cancel'>, string> = {
  revoked: 'the agent lost its lease on the run and stopped it',
  shutdown: 'the agent shut down and stopped the run',
  timeout: 'the run wrote no output for longer than its time limit (RUN_STALL_TIMEOUT_MS) and was stopped',
};

const EXCERPT_CHARS = 200;

/**
 * What a finished process means for its run. A stop by the agent decides first (a cancel is a
 * cancel whatever the code: rl.py exits 1 on SIGINT); then exit 0 is success; SIGKILL or 137
 * (the kernel's OOM killer) and known host faults are retryable; config and install errors are
 * not; any other failure is retryable, BullMQ's attempt limit bounding it.
 *
 * `output` is what the run printed last: stderr, and for prime-rl also its console and children's
 * logs. `reason` is one short sentence; it may quote the matching line, with anything that looks
 * like a credential masked, and never the environment.
 */
export function exitVerdict(exit: ProcessExit, output: string): ExitVerdict {
  if (exit.stoppedFor === 'cancel') return { outcome: 'cancelled' };
  if (exit.stoppedFor !== null) {
    return { outcome: 'failed', retryable: true, reason: `${STOPPED[exit.stoppedFor]} (${describe(exit)})` };
  }
  if (exit.exitCode === 0 && exit.signal === null) return { outcome: 'succeeded' };

  const how = describe(exit);
  if (exit.signal === 'SIGKILL' || exit.exitCode === 137) {
    return { outcome: 'failed', retryable: true, reason: `${how}, likely by the kernel's OOM killer` };
  }
  if (exit.exitCode === 2 && /unrecognized arguments|^usage: /m.test(output)) {
    return failed(false, how, CONFIG_ERRORS[0]!, output);
  }
  const transient = firstMatch(TRANSIENT, output);
  if (transient) return failed(true, how, transient, output);
  const config = firstMatch(CONFIG_ERRORS, output);
  if (config) return failed(false, how, config, output);
  return { outcome: 'failed', retryable: true, reason: `${how}` };
}

function describe(exit: ProcessExit): string {
  if (exit.signal !== null) return `it was killed by ${exit.signal}`;
  if (exit.exitCode !== null) return `it exited with code ${exit.exitCode}`;
  return 'it ended without an exit code';
}

function firstMatch(causes: Cause[], text: string): Cause | undefined {
  return causes.find(({ pattern }) => pattern.test(text));
}

function failed(retryable: boolean, how: string, cause: Cause, stderrTail: string): ExitVerdict {
  const line = stderrTail.split(/\r?\n|\r/).findLast((l) => cause.pattern.test(l));
  const excerpt =
    line === undefined ? '' : `: ${JSON.stringify(redact(line.trim()).slice(0, EXCERPT_CHARS))}`;
  return { outcome: 'failed', retryable, reason: `${how}: ${cause.cause}${excerpt}` };
}

/** Masks what could be a credential in a quoted line: KEY=value for secret-ish names, tokens. */
function redact(line: string): string {
  return line
    .replace(/\b(\w*(?:TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL)\w*)(\s*[=:]\s*)\S+/gi, '$1$2***')
    .replace(/\b(hf_|sk-|ghp_|gho_|glpat-|xox[abp]-)[A-Za-z0-9_-]{8,}/g, '$1***')
    .replace(/\b[A-Za-z0-9+_-]{40,}={0,2}/g, '***');
}
