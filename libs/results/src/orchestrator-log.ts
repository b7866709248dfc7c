import { readLines, type ReadProgress } from './line-reader.js';

/**
 * prime-rl orchestrator output (orchestrator.stdout, or the launcher's console), parsed line by
 * line so that it also works on a live stream.
 *
 * Two generations of the per-step line (docs/prime-rl.md §4):
 * - classic (≤ v0.5.x, the seed's run): `Step 0 | Time: 8.98s | Reward: 0.3787 |[ Val. Reward: … |]
 *   [Throughput: … tokens/s |] Seq. Length: 473.6 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 0`,
 *   `Key: Value` pairs, steps 0-indexed;
 * - head (v0.6.0 onwards): `Step 1 |  1m 5s | Reward 0.1234 | Trainable 900/1024 (87.9%) | Turns 1.0 | …`,
 *   `Key Value` pairs, a human duration that may contain spaces, steps 1-indexed.
 *
 * Tolerated: ANSI colour codes, tqdm progress bars (`\r`-separated updates, or run together when
 * the carriage returns were lost, with a log record possibly glued after the last bar), wandb
 * lines, Python warnings, loguru's JSON lines (`[log] json_logging`), a `[tag] ` message prefix
 * and DEBUG's ` [file::line]` suffix. Anything else is an unknown line: ignored, and counted.
 */

export type OrchestratorLogFormat = 'classic' | 'head';
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'SUCCESS' | 'WARNING' | 'ERROR' | 'CRITICAL';

interface EventBase {
  /** loguru's `HH:MM:SS` prefix as written; null for a line without one (e.g. an env's print). */
  time: string | null;
  level: LogLevel | null;
}

interface StepEventBase extends EventBase {
  type: 'step';
  step: number;
  timeSeconds: number;
  reward: number;
}

/** `Step N | Time: Xs | Reward: R | … | Async Level: A | Max. Off-Policy Level: M` (0-indexed). */
export interface ClassicStepEvent extends StepEventBase {
  format: 'classic';
  valReward?: number;
  /** tokens/s; v0.4.0 logs it, later classic versions (the seed's) do not. */
  throughput?: number;
  /** Mean tokens per sample (prompt + completion). */
  seqLength: number;
  asyncLevel: number;
  maxOffPolicyLevel: number;
}

/** `Step N | 1m 5s | Reward R | Trainable n/m (x%) | Turns … | Max Off-Policy k | Error …%` (1-indexed). */
export interface HeadStepEvent extends StepEventBase {
  format: 'head';
  maxOffPolicyLevel?: number;
  trainable?: { count: number; total: number };
  turns?: number;
  branches?: number;
  /** Fractions in [0, 1] (the log prints percentages). */
  errorRate?: number;
  cancelledRate?: number;
  truncationRate?: number;
}

export type StepEvent = ClassicStepEvent | HeadStepEvent;

/** `Starting orchestrator step N`. */
export interface StepStartedEvent extends EventBase {
  type: 'stepStarted';
  step: number;
}

/** `Detected K/N rollouts (gibberish=K, repetition=J)[, enforced E]`: rollout filters fired. */
export interface FilteredEvent extends EventBase {
  type: 'filtered';
  count: number;
  total: number;
  reasons: Record<string, number>;
  /** Rollouts whose reward was actually zeroed; 0 when the line does not say. */
  enforced: number;
}

/** `Orchestrator paused: waiting for trainer process to complete checkpoint N (>A step(s) ahead)`. */
export interface CheckpointWaitEvent extends EventBase {
  type: 'checkpointWait';
  checkpoint: number;
  maxAsyncLevel: number | null;
}

/** `Orchestrator resumed: checkpoint N ready (after Xs)`. */
export interface CheckpointReadyEvent extends EventBase {
  type: 'checkpointReady';
  checkpoint: number;
  waitSeconds: number;
}

/** `Orchestrator finished.` (orchestrator) or `RL training finished!` / `Training finished!` (launcher). */
export interface FinishedEvent extends EventBase {
  type: 'finished';
  by: 'orchestrator' | 'launcher';
}

/** The launcher's `[Error: ]<Name> failed with exit code N`. */
export interface FailedEvent extends EventBase {
  type: 'failed';
  process: string;
  exitCode: number;
}

/** `[calibrated_qa] Wrote N records to <path>`: the environment's rollout log grew. */
export interface EnvLogWriteEvent extends EventBase {
  type: 'envLogWrite';
  env: string;
  records: number;
  path: string;
}

/**
 * `Resuming training from checkpoint step N` (classic), `Resuming orchestrator from checkpoint step N`
 * (v0.6+), the HEAD launcher's `Resuming from step N, cleaning …`.
 */
export interface ResumedEvent extends EventBase {
  type: 'resumed';
  fromStep: number;
}

/** `Training from scratch[…]`. */
export interface FromScratchEvent extends EventBase {
  type: 'fromScratch';
}

/** `Starting orchestrator loop (max_steps=N)`. */
export interface LoopStartedEvent extends EventBase {
  type: 'loopStarted';
  maxSteps: number | null;
}

/** Any other ERROR or CRITICAL record. */
export interface ErrorEvent extends EventBase {
  type: 'error';
  message: string;
}

export type OrchestratorEvent =
  | StepEvent
  | StepStartedEvent
  | FilteredEvent
  | CheckpointWaitEvent
  | CheckpointReadyEvent
  | FinishedEvent
  | FailedEvent
  | EnvLogWriteEvent
  | ResumedEvent
  | FromScratchEvent
  | LoopStartedEvent
  | ErrorEvent;

export type NoiseKind = 'blank' | 'progress' | 'wandb' | 'warning' | 'continuation';

/** What one physical line is. */
export type ClassifiedLine =
  | { kind: 'event'; event: OrchestratorEvent }
  /** A log record that carries no event ("Pausing inference engines…", trainer step lines, …). */
  | { kind: 'log'; time: string | null; level: LogLevel; message: string }
  | { kind: 'noise'; noise: NoiseKind }
  /** Unrecognised text, or a step line that does not parse (truncated, garbled). */
  | { kind: 'unknown'; reason: 'unrecognised' | 'malformed-step' };

// eslint-disable-next-line no-control-regex -- ANSI escape sequences are what this strips
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const LEVELS = 'TRACE|DEBUG|INFO|SUCCESS|WARNING|ERROR|CRITICAL';
/** loguru's `HH:MM:SS <level padded to 7> <message>`, possibly glued after a tqdm bar. */
const RECORD = new RegExp(`(?<![\\d:])(\\d{2}:\\d{2}:\\d{2}) +(${LEVELS})(?: (.*))?$`, 's');
/**
 * One tqdm update: `desc: 42%|████▏     | 430/1024 [00:03<00:04, 120.1it/s]` or `desc: 5it [00:01, 3.1it/s]`.
 * Every part is bounded so that scanning a long line stays linear.
 */
const TQDM =
  /(?:[^\r|:\]]{0,120}?: *)?(?:\d{1,3}%\|[^|\r]{0,400}\|[^\r\]]{0,200}\]|\d+(?:\.\d+)?[kMGTP]?[A-Za-z/]{0,20} \[[\d:]{1,12}(?:<[\d:?]{1,12})?,[^\r\]]{0,200}\])/g;
/** The start of a bar whose end was cut off. */
const TQDM_PARTIAL = /^[^|]*: *\d{1,3}%\|/;
const PYTHON_WARNING = /\.py:\d+: [A-Z]\w*Warning\b|^\s+warnings\.warn\(/;
const LEVEL_NAME = new RegExp(`^(?:${LEVELS})$`);
const TAG_PREFIX = /^\[[\w.-]+\] /;
const DEBUG_SUFFIX = / \[[^\]\s]+::\d+\]$/;

const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function toNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (NUMBER.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  return null;
}

function toInteger(text: string | undefined): number | null {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : null;
}

/** A number followed by exactly `suffix` (`8.98s`, `473.6 tokens/sample`, `12.5%`). */
function withUnit(text: string | undefined, suffix: string): number | null {
  if (text === undefined || !text.endsWith(suffix)) return null;
  return toNumber(text.slice(0, text.length - suffix.length));
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** prime-rl's format_time: `850ms`, `8.9s`, `9s`, `1m 5s`, `2h`, `1d 3h`. */
export function parseDuration(text: string): number | null {
  const tokens = text.trim().split(/ +/);
  let seconds = 0;
  for (const token of tokens) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(token);
    if (!match) return null;
    seconds += Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? Number.NaN);
  }
  return tokens.length > 0 && Number.isFinite(seconds) ? seconds : null;
}

type StepParse = Omit<ClassicStepEvent, 'time' | 'level'> | Omit<HeadStepEvent, 'time' | 'level'>;

/** A step line: the event, 'malformed' for a broken orchestrator step line, null for anything else. */
function parseStepMessage(message: string): StepParse | 'malformed' | null {
  if (!/^Step \d+ \|/.test(message)) return null;
  const parts = message.split(/ +\| +/).map((part) => part.trim());
  const step = toInteger(/^Step (\d+)$/.exec(parts[0] ?? '')?.[1]);
  if (step === null) return 'malformed';
  const rest = parts.slice(1);
  if (/^Time:/.test(rest[0] ?? '')) return parseClassicStep(step, rest);
  const timeSeconds = parseDuration(rest[0] ?? '');
  if (timeSeconds === null) return 'malformed';
  return parseHeadStep(step, timeSeconds, rest.slice(1));
}

function parseClassicStep(step: number, parts: string[]): StepParse | 'malformed' | null {
  const values = new Map<string, string>();
  for (const part of parts) {
    const match = /^([^:]+): ?(.*)$/.exec(part);
    if (match) values.set(match[1] ?? '', match[2] ?? '');
  }
  if (values.has('Loss')) return null; // the trainer's step line
  const timeSeconds = withUnit(values.get('Time'), 's');
  const reward = toNumber(values.get('Reward'));
  const seqLength = withUnit(values.get('Seq. Length'), ' tokens/sample');
  const asyncLevel = toInteger(values.get('Async Level'));
  const maxOffPolicyLevel = toInteger(values.get('Max. Off-Policy Level'));
  if (
    timeSeconds === null ||
    reward === null ||
    seqLength === null ||
    asyncLevel === null ||
    maxOffPolicyLevel === null
  ) {
    return 'malformed';
  }
  const event: Omit<ClassicStepEvent, 'time' | 'level'> = {
    type: 'step',
    format: 'classic',
    step,
    timeSeconds,
    reward,
    seqLength,
    asyncLevel,
    maxOffPolicyLevel,
  };
  if (values.has('Val. Reward')) {
    const valReward = toNumber(values.get('Val. Reward'));
    if (valReward === null) return 'malformed';
    event.valReward = valReward;
  }
  if (values.has('Throughput')) {
    const throughput = withUnit(values.get('Throughput'), ' tokens/s');
    if (throughput === null) return 'malformed';
    event.throughput = throughput;
  }
  return event;
}

function parseHeadStep(step: number, timeSeconds: number, parts: string[]): StepParse | 'malformed' | null {
  const values = new Map<string, string>();
  for (const part of parts) {
    const match = /^(.+?) (\S+)(?: \([^)]*\))?$/.exec(part);
    if (match) values.set(match[1] ?? '', match[2] ?? '');
  }
  if (values.has('Loss')) return null; // the trainer's step line
  const reward = toNumber(values.get('Reward'));
  if (reward === null) return 'malformed';
  const event: Omit<HeadStepEvent, 'time' | 'level'> = {
    type: 'step',
    format: 'head',
    step,
    timeSeconds,
    reward,
  };
  const optional = (key: string, parse: (text: string) => number | null, set: (value: number) => void) => {
    const text = values.get(key);
    if (text === undefined) return true;
    const value = parse(text);
    if (value === null) return false;
    set(value);
    return true;
  };
  const percent = (text: string) => {
    const value = withUnit(text, '%');
    return value === null ? null : value / 100;
  };
  const trainable = values.get('Trainable');
  if (trainable !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(trainable);
    if (!match) return 'malformed';
    event.trainable = { count: Number(match[1]), total: Number(match[2]) };
  }
  const ok =
    optional('Max Off-Policy', toInteger, (v) => (event.maxOffPolicyLevel = v)) &&
    optional('Turns', toNumber, (v) => (event.turns = v)) &&
    optional('Branches', toNumber, (v) => (event.branches = v)) &&
    optional('Error', percent, (v) => (event.errorRate = v)) &&
    optional('Cancelled', percent, (v) => (event.cancelledRate = v)) &&
    optional('Truncation', percent, (v) => (event.truncationRate = v));
  return ok ? event : 'malformed';
}

type EventBody = OrchestratorEvent extends infer E
  ? E extends EventBase
    ? Omit<E, 'time' | 'level'>
    : never
  : never;

function parseReasons(text: string): Record<string, number> | null {
  const reasons: Record<string, number> = {};
  if (text.trim() === '') return reasons;
  for (const item of text.split(/, */)) {
    const match = /^([\w.-]+)=(\d+)$/.exec(item.trim());
    if (!match) return null;
    reasons[match[1] ?? ''] = Number(match[2]);
  }
  return reasons;
}

/** The event a message carries; 'malformed' for a broken step line; null for none. */
function parseMessage(raw: string, level: LogLevel | null): EventBody | 'malformed' | null {
  let match = /^\[([^\]\s]+)\] Wrote (\d+) records to (.+)$/.exec(raw);
  if (match)
    return { type: 'envLogWrite', env: match[1] ?? '', records: Number(match[2]), path: match[3] ?? '' };
  const message = raw.replace(TAG_PREFIX, '').replace(DEBUG_SUFFIX, '');

  const step = parseStepMessage(message);
  if (step !== null) return step;
  if ((match = /^Starting orchestrator step (\d+)$/.exec(message))) {
    return { type: 'stepStarted', step: Number(match[1]) };
  }
  if ((match = /^Detected (\d+)\/(\d+) rollouts \(([^)]*)\)(?:, enforced (\d+))?$/.exec(message))) {
    const reasons = parseReasons(match[3] ?? '');
    if (reasons) {
      return {
        type: 'filtered',
        count: Number(match[1]),
        total: Number(match[2]),
        reasons,
        enforced: match[4] === undefined ? 0 : Number(match[4]),
      };
    }
  }
  if (
    (match =
      /^Orchestrator paused: waiting for trainer process to complete checkpoint (\d+)(?: \(>(\d+) step)?/.exec(
        message,
      ))
  ) {
    return {
      type: 'checkpointWait',
      checkpoint: Number(match[1]),
      maxAsyncLevel: match[2] === undefined ? null : Number(match[2]),
    };
  }
  if ((match = /^Orchestrator resumed: checkpoint (\d+) ready \(after ([\d.]+)s\)$/.exec(message))) {
    return { type: 'checkpointReady', checkpoint: Number(match[1]), waitSeconds: Number(match[2]) };
  }
  if (/^Orchestrator finished\.?$/.test(message)) return { type: 'finished', by: 'orchestrator' };
  if (/^(?:RL )?[Tt]raining finished!?$/.test(message)) return { type: 'finished', by: 'launcher' };
  if ((match = /^(?:Error: )?([A-Za-z][\w -]{0,60}?) failed with exit code (-?\d+)\b/.exec(message))) {
    return { type: 'failed', process: match[1] ?? '', exitCode: Number(match[2]) };
  }
  if (
    (match = /^Resuming (?:(?:training|orchestrator) from checkpoint step|from step) (\d+)/.exec(message))
  ) {
    return { type: 'resumed', fromStep: Number(match[1]) };
  }
  if (/^Training from scratch\b/.test(message)) return { type: 'fromScratch' };
  if ((match = /^Starting orchestrator loop \(max_steps=(\w+)\)/.exec(message))) {
    return { type: 'loopStarted', maxSteps: toInteger(match[1]) };
  }
  if (level === 'ERROR' || level === 'CRITICAL') return { type: 'error', message };
  return null;
}

function classifyMessage(
  time: string | null,
  level: LogLevel | null,
  message: string,
): ClassifiedLine | null {
  const body = parseMessage(message, level);
  if (body === 'malformed') return { kind: 'unknown', reason: 'malformed-step' };
  if (body !== null) return { kind: 'event', event: { ...body, time, level } };
  return level === null ? null : { kind: 'log', time, level, message };
}

/** loguru's JSON sink: `{"timestamp": ISO, "level", "message", …}` or `{"type": "progress", …}`. */
function classifyJson(text: string): ClassifiedLine | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  const level = typeof record['level'] === 'string' ? record['level'].toUpperCase() : '';
  if (!LEVEL_NAME.test(level)) return null;
  if (record['type'] === 'progress') return { kind: 'noise', noise: 'progress' };
  if (typeof record['message'] !== 'string') return null;
  const timestamp = typeof record['timestamp'] === 'string' ? record['timestamp'] : '';
  const time = /T(\d{2}:\d{2}:\d{2})/.exec(timestamp)?.[1] ?? null;
  // A multi-line message (the launcher appends a child's stderr) carries its event on line one.
  const message = record['message'].split('\n')[0] ?? '';
  return classifyMessage(time, level as LogLevel, message.trimEnd());
}

/** Strip ANSI colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Classify one physical line (without its '\n'; '\r's inside are tqdm updates). */
export function classifyOrchestratorLine(line: string): ClassifiedLine {
  const text = stripAnsi(line);
  if (text.trim() === '') return { kind: 'noise', noise: 'blank' };

  const record = RECORD.exec(text);
  if (record) {
    const message = (record[3] ?? '').split('\r')[0]?.trimEnd() ?? '';
    return (
      classifyMessage(record[1] ?? null, record[2] as LogLevel, message) ?? {
        kind: 'unknown',
        reason: 'unrecognised',
      }
    );
  }

  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const json = classifyJson(trimmed);
    if (json) return json;
  }

  // What remains once tqdm's updates are taken out; the last '\r' segment is what a terminal shows.
  const segments = text
    .split('\r')
    .map((segment) => (segment.includes('[') ? segment.replace(TQDM, '') : segment).trim())
    .filter((segment) => segment !== '');
  const rest = segments[segments.length - 1];
  if (rest === undefined) return { kind: 'noise', noise: 'progress' };
  if (TQDM_PARTIAL.test(rest)) return { kind: 'noise', noise: 'progress' };
  if (rest.startsWith('wandb:')) return { kind: 'noise', noise: 'wandb' };
  if (PYTHON_WARNING.test(rest) || PYTHON_WARNING.test(text)) return { kind: 'noise', noise: 'warning' };
  if (rest.startsWith('╰─')) return { kind: 'noise', noise: 'continuation' };
  return classifyMessage(null, null, rest) ?? { kind: 'unknown', reason: 'unrecognised' };
}

/** The event one physical line carries, or null (noise, plain log records, unknown text). */
export function parseOrchestratorLine(line: string): OrchestratorEvent | null {
  const classified = classifyOrchestratorLine(line);
  return classified.kind === 'event' ? classified.event : null;
}

export interface FilteredCounts {
  count: number;
  total: number;
  reasons: Record<string, number>;
  enforced: number;
}

/**
 * One step of the run, as its step line reported it, plus what the lines before it said about it.
 * filtered is null when the step had no `Detected …` line: prime-rl logs one only when a filter
 * fired, so null means none did (or no filters were configured).
 */
export type StepLogEntry = StepEvent & {
  /** 1-based line number of the step line. */
  line: number;
  filtered: FilteredCounts | null;
  /** Seconds the orchestrator waited for the trainer's checkpoint before this step's rollouts. */
  checkpointWaitSeconds: number | null;
};

export interface UnknownLogLine {
  line: number;
  reason: 'unrecognised' | 'malformed-step';
  /** The line without colour codes, cut to 200 characters. */
  text: string;
}

export interface OrchestratorLogSummary {
  /** The step lines' generation; null before the first step line. */
  format: OrchestratorLogFormat | null;
  /** One per step, in step order; a step logged again after a resume replaces the old one and later ones. */
  steps: StepLogEntry[];
  /** `Orchestrator finished.` or the launcher's `RL training finished!` was seen. */
  finished: boolean;
  failures: FailedEvent[];
  errors: ErrorEvent[];
  maxSteps: number | null;
  resumedFromStep: number | null;
  lineCount: number;
  unknownLineCount: number;
  /** The first 20 unknown lines, for diagnostics. */
  unknownLines: UnknownLogLine[];
}

const UNKNOWN_SAMPLE = 20;
const MAX_PENDING = 1 << 20;

/** Stateful parser: feed it physical lines (push) or raw chunks of a live stream (feed). */
export class OrchestratorLogParser {
  private lines = 0;
  private unknown = 0;
  private readonly unknownSample: UnknownLogLine[] = [];
  private readonly entries: StepLogEntry[] = [];
  private readonly failed: FailedEvent[] = [];
  private readonly errorEvents: ErrorEvent[] = [];
  private current: number | null = null;
  private isFinished = false;
  private detectedFormat: OrchestratorLogFormat | null = null;
  private loopMaxSteps: number | null = null;
  private resumedFrom: number | null = null;
  private pendingFiltered: FilteredCounts | null = null;
  private pendingWait: number | null = null;
  private partial = '';

  /** Parse the next physical line; returns its event, if any. */
  push(line: string): OrchestratorEvent | null {
    this.lines += 1;
    const classified = classifyOrchestratorLine(line);
    if (classified.kind === 'unknown') {
      this.unknown += 1;
      if (this.unknownSample.length < UNKNOWN_SAMPLE) {
        this.unknownSample.push({
          line: this.lines,
          reason: classified.reason,
          text: stripAnsi(line).slice(0, 200),
        });
      }
      return null;
    }
    if (classified.kind !== 'event') return null;
    this.apply(classified.event);
    return classified.event;
  }

  /** Parse a chunk of a live stream: complete lines now, a trailing partial line once it ends. */
  feed(chunk: string): OrchestratorEvent[] {
    const events: OrchestratorEvent[] = [];
    let text = this.partial + chunk;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const event = this.push(text.slice(0, newline).replace(/\r$/, ''));
      if (event) events.push(event);
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    // An unfinished tqdm bar can grow for minutes without a '\n': keep only its latest update.
    if (text.length > MAX_PENDING) {
      const lastUpdate = text.lastIndexOf('\r');
      text = lastUpdate > 0 ? text.slice(lastUpdate) : text.slice(-MAX_PENDING);
    }
    this.partial = text;
    return events;
  }

  /** End of stream: parse what feed() still holds. */
  flush(): OrchestratorEvent[] {
    const rest = this.partial;
    this.partial = '';
    if (rest === '') return [];
    const event = this.push(rest.replace(/\r$/, ''));
    return event ? [event] : [];
  }

  private apply(event: OrchestratorEvent): void {
    switch (event.type) {
      case 'stepStarted':
        if (this.current !== event.step) {
          this.pendingFiltered = null;
          this.pendingWait = null;
        }
        this.current = event.step;
        break;
      case 'filtered': {
        const pending = this.pendingFiltered ?? { count: 0, total: 0, reasons: {}, enforced: 0 };
        pending.count += event.count;
        pending.total += event.total;
        pending.enforced += event.enforced;
        for (const [reason, n] of Object.entries(event.reasons)) {
          pending.reasons[reason] = (pending.reasons[reason] ?? 0) + n;
        }
        this.pendingFiltered = pending;
        break;
      }
      case 'checkpointReady':
        this.pendingWait = (this.pendingWait ?? 0) + event.waitSeconds;
        break;
      case 'step':
        this.addStep(event);
        break;
      case 'finished':
        this.isFinished = true;
        break;
      case 'failed':
        this.failed.push(event);
        break;
      case 'error':
        this.errorEvents.push(event);
        break;
      case 'loopStarted':
        this.loopMaxSteps = event.maxSteps;
        break;
      case 'resumed':
        this.resumedFrom = event.fromStep;
        break;
      default:
        break;
    }
  }

  private addStep(event: StepEvent): void {
    const { time: _time, level: _level, ...fields } = event;
    const entry = {
      ...fields,
      line: this.lines,
      filtered: this.pendingFiltered,
      checkpointWaitSeconds: this.pendingWait,
    } as StepLogEntry;
    // A step logged again (the run was resumed from an earlier checkpoint) replaces its old self.
    const last = this.entries[this.entries.length - 1];
    if (last && event.step <= last.step) {
      const keep = this.entries.findIndex((e) => e.step >= event.step);
      this.entries.splice(keep);
    }
    this.entries.push(entry);
    this.detectedFormat = event.format;
    this.current = event.step;
    this.pendingFiltered = null;
    this.pendingWait = null;
  }

  /** The step being worked on: the latest `Starting orchestrator step N` or step line. */
  get currentStep(): number | null {
    return this.current;
  }

  /** The latest step whose step line was logged. */
  get lastCompletedStep(): number | null {
    return this.entries[this.entries.length - 1]?.step ?? null;
  }

  get steps(): readonly StepLogEntry[] {
    return this.entries;
  }

  get finished(): boolean {
    return this.isFinished;
  }

  get failures(): readonly FailedEvent[] {
    return this.failed;
  }

  get unknownLineCount(): number {
    return this.unknown;
  }

  get lineCount(): number {
    return this.lines;
  }

  summary(): OrchestratorLogSummary {
    return {
      format: this.detectedFormat,
      steps: [...this.entries],
      finished: this.isFinished,
      failures: [...this.failed],
      errors: [...this.errorEvents],
      maxSteps: this.loopMaxSteps,
      resumedFromStep: this.resumedFrom,
      lineCount: this.lines,
      unknownLineCount: this.unknown,
      unknownLines: [...this.unknownSample],
    };
  }
}

/** Parse a whole orchestrator.stdout (or .gz). */
export async function readOrchestratorLog(
  path: string,
  onProgress?: (progress: ReadProgress) => void,
): Promise<OrchestratorLogSummary> {
  const parser = new OrchestratorLogParser();
  for await (const { text } of readLines(path, onProgress)) parser.push(text);
  return parser.summary();
}
