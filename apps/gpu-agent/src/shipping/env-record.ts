import { ROLLOUT_WIRE_LIMITS, type RolloutWire } from '@brier/contracts';

/** Where a line sits in the env's rollout log, and how the attempt's steps are laid out. */
export interface EnvRecordContext {
  /** 0-based line number in the log: the record's index when it names none. */
  position: number;
  /** The step the attempt's log begins with (the resume step, else 0). */
  startStep: number;
  /** Rollouts per step. */
  batchSize: number;
}

/** One scored rollout of the env's log, ready to ship and to audit. */
export interface EnvRollout {
  /** The log's global, gapless index (the line number). */
  index: number;
  step: number;
  wire: RolloutWire;
  /** What the env scored (the completion messages' text), as it wrote it; null without a completion. */
  scoredCompletion: string | null;
  groundTruth: boolean | string;
  /** The env's (trainer's) reward; null when the record has none. */
  trainerReward: number | null;
  /** When the env wrote the line (its `ts`, epoch ms); null when the record has none. */
  writtenAtMs: number | null;
}

export type EnvRecordParse =
  { ok: true; rollout: EnvRollout } | { ok: false; reason: string; index: number; step: number };

const INT32_MAX = 2_147_483_647;
const ASSISTANT = '[assistant] ';
/** In a `u` regex a surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * The rollout's key within (step, attempt): its global index in the attempt's log, so a line
 * shipped twice (a replay, a re-read log) maps to the same row.
 */
export function sampleKeyOf(index: number): string {
  return `i${index}`;
}

/**
 * The scored text of the seed's transcript `"[assistant] <content>\n"` per message: the contents,
 * concatenated (what calibrated-qa scores). Anything else is returned as it is. The API unwraps
 * full_completion the same way.
 */
export function unwrapTranscript(transcript: string): string {
  if (!transcript.startsWith(ASSISTANT) || !transcript.endsWith('\n')) return transcript;
  const inner = transcript.slice(ASSISTANT.length, -1);
  return inner.includes(`\n${ASSISTANT}`) ? inner.split(`\n${ASSISTANT}`).join('') : inner;
}

/**
 * Text Postgres can store: NUL and lone UTF-16 surrogates become U+FFFD. The env writes a lone
 * surrogate of model text as a `\udcXX` escape, which JSON.parse turns back into one, and the API
 * refuses a line holding either (and with it the whole batch).
 */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

class Malformed extends Error {}

/**
 * One line of calibrated-qa's rollout log (record.py: the seed's keys, then index, step,
 * example_id, prompt_template, completion_chars, pid, ts) as a RolloutWire. `attempt` is left
 * out: the Lease-Token fixes it. Values the API would refuse make the line malformed, so one bad
 * line never sinks a batch.
 */
export function parseEnvRecord(line: string, context: EnvRecordContext): EnvRecordParse {
  const fallbackIndex = context.position;
  let index = fallbackIndex;
  let step = stepOf(fallbackIndex, context);
  try {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Malformed(`not JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Malformed('not a JSON object');
    }
    const record = value as Record<string, unknown>;
    index = count(record, 'index') ?? fallbackIndex;
    step = count(record, 'step') ?? stepOf(index, context);
    return { ok: true, rollout: toRollout(record, index, step) };
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    return { ok: false, reason: error.message, index, step };
  }
}

function stepOf(index: number, context: EnvRecordContext): number {
  return context.startStep + Math.floor(index / context.batchSize);
}

function toRollout(record: Record<string, unknown>, index: number, step: number): EnvRollout {
  const groundTruth = record['ground_truth'];
  if (typeof groundTruth !== 'boolean' && typeof groundTruth !== 'string') {
    throw new Malformed(`ground_truth must be a boolean or a string (got ${describe(groundTruth)})`);
  }
  const fullCompletion = text(record, 'full_completion');
  const plainCompletion = text(record, 'completion');
  const completionKey =
    fullCompletion !== undefined && fullCompletion !== null ? 'full_completion' : 'completion';
  const completion = completionKey === 'full_completion' ? fullCompletion : plainCompletion;
  const pYes = number(record, 'p_yes', 'probability');
  const brier = number(record, 'brier_score', 'probability');
  if ((completion === undefined || completion === null) && (pYes == null || brier == null)) {
    throw new Malformed('has no completion, and no p_yes and brier_score either');
  }
  const exampleId = record['example_id'];
  let exampleIdText: string | null = null;
  if (typeof exampleId === 'string' || typeof exampleId === 'number') exampleIdText = String(exampleId);
  else if (exampleId !== undefined && exampleId !== null) {
    throw new Malformed(`example_id must be a string (got ${describe(exampleId)})`);
  }
  if (exampleIdText !== null && exampleIdText.length > ROLLOUT_WIRE_LIMITS.keyMaxLength) {
    throw new Malformed(`example_id is longer than ${ROLLOUT_WIRE_LIMITS.keyMaxLength} characters`);
  }
  const parseable = record['parseable'];
  if (parseable !== undefined && parseable !== null && typeof parseable !== 'boolean') {
    throw new Malformed(`parseable must be a boolean (got ${describe(parseable)})`);
  }
  const reward = number(record, 'reward', 'finite');
  const prompt = text(record, 'full_prompt') ?? text(record, 'prompt');
  const parsedAnswer = text(record, 'parsed_answer');

  const wire: RolloutWire = {
    step,
    sample_key: sampleKeyOf(index),
    example_id: exampleIdText === null ? null : storableText(exampleIdText),
    ground_truth: groundTruth,
  };
  if (prompt !== undefined && prompt !== null) wire.full_prompt = storableText(prompt);
  if (completion !== undefined && completion !== null) wire[completionKey] = storableText(completion);
  // null p_yes / brier_score: the API scores the completion itself.
  if (typeof pYes === 'number') wire.p_yes = pYes;
  if (typeof brier === 'number') wire.brier_score = brier;
  if (parseable !== undefined) wire.parseable = parseable;
  const optional = {
    p_yes_extracted: number(record, 'p_yes_extracted', 'probability'),
    length_penalty: number(record, 'length_penalty', 'finite'),
    reward,
    approx_tokens: number(record, 'approx_tokens', 'finite'),
    completion_chars: count(record, 'completion_chars'),
  };
  for (const [key, v] of Object.entries(optional)) {
    if (v !== undefined) (wire as unknown as Record<string, unknown>)[key] = v;
  }
  if (parsedAnswer !== undefined)
    wire.parsed_answer = parsedAnswer === null ? null : storableText(parsedAnswer);

  const scoredCompletion =
    completion === undefined || completion === null
      ? null
      : completionKey === 'full_completion'
        ? unwrapTranscript(completion)
        : completion;
  const ts = record['ts']; // only a hint for batching: any other value is ignored, never malformed
  return {
    index,
    step,
    wire,
    scoredCompletion,
    groundTruth,
    trainerReward: reward ?? null,
    writtenAtMs: typeof ts === 'number' && Number.isFinite(ts) ? ts * 1000 : null,
  };
}

function text(record: Record<string, unknown>, key: string): string | null | undefined {
  const value = record[key];
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw new Malformed(`${key} must be a string (got ${describe(value)})`);
}

/** A number the API accepts for `key` (null and absent pass through), or Malformed. */
function number(
  record: Record<string, unknown>,
  key: string,
  rule: 'probability' | 'finite',
): number | null | undefined {
  const value = record[key];
  if (value === undefined || value === null) return value;
  const ok =
    typeof value === 'number' && (rule === 'probability' ? value >= 0 && value <= 1 : Number.isFinite(value));
  if (!ok) {
    const want = rule === 'probability' ? 'a number in [0, 1]' : 'a finite number';
    throw new Malformed(`${key} must be ${want} (got ${describe(value)})`);
  }
  return value;
}

/** A non-negative int32 (index, step, counts); null and absent give undefined. */
function count(record: Record<string, unknown>, key: string): number | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= INT32_MAX) return value;
  throw new Malformed(`${key} must be an integer in [0, ${INT32_MAX}] (got ${describe(value)})`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}
