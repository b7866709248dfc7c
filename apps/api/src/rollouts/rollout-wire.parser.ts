import {
  labelOf,
  lengthPenaltyConfigError,
  scoreCompletion,
  SEED_LENGTH_PENALTY,
  type LengthPenaltyConfig,
} from '@brier/calibration';
import {
  ROLLOUT_IGNORED_KEYS,
  ROLLOUT_WIRE_KEYS,
  ROLLOUT_WIRE_LIMITS as L,
} from '@brier/contracts/rollout-wire';
import type { RolloutRow } from '@brier/database';
import { isWellFormedText } from '@brier/database/rollout-batch';

/** One problem with one line: the wire field ('' for the line as a whole) and what is wrong. */
export interface WireFieldError {
  field: string;
  message: string;
}

export interface WireContext {
  /** The attempt of a line that names none. */
  defaultAttempt: number;
  /** With a lease: every line's attempt must be this one (a line naming another is an error). */
  requiredAttempt?: number;
  /** The run's length penalty, for the recomputed reward. */
  penalty: LengthPenaltyConfig;
}

export type WireParse =
  { ok: true; row: RolloutRow } | { ok: false; errors: WireFieldError[]; attemptMismatch?: boolean };

const KNOWN: ReadonlySet<string> = new Set<string>([...ROLLOUT_WIRE_KEYS, ...ROLLOUT_IGNORED_KEYS]);
const INT32_MAX = 2_147_483_647;
const ASSISTANT = '[assistant] ';

/**
 * The scored text of a seed transcript `"[assistant] <content>\n"` per message: the contents,
 * concatenated (what calibrated-qa scores). Anything else is returned as it is.
 */
export function unwrapCompletion(transcript: string): string {
  if (!transcript.startsWith(ASSISTANT) || !transcript.endsWith('\n')) return transcript;
  const inner = transcript.slice(ASSISTANT.length, -1);
  return inner.includes(`\n${ASSISTANT}`) ? inner.split(`\n${ASSISTANT}`).join('') : inner;
}

/** The run spec's length penalty (train and eval specs carry `reward`), else the seed's. */
export function penaltyOf(spec: unknown): LengthPenaltyConfig {
  const reward = (spec as { reward?: Partial<LengthPenaltyConfig> } | null)?.reward;
  if (typeof reward !== 'object' || reward === null) return SEED_LENGTH_PENALTY;
  const config = {
    maxTokens: reward.maxTokens ?? SEED_LENGTH_PENALTY.maxTokens,
    lowFraction: reward.lowFraction ?? SEED_LENGTH_PENALTY.lowFraction,
    highFraction: reward.highFraction ?? SEED_LENGTH_PENALTY.highFraction,
  };
  return lengthPenaltyConfigError(config) === null ? config : SEED_LENGTH_PENALTY;
}

class LineErrors {
  readonly list: WireFieldError[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

function text(
  record: Record<string, unknown>,
  key: string,
  errors: LineErrors,
  maxLength?: number,
): string | null | undefined {
  const value = record[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') {
    errors.add(key, `must be a string or null (got ${describe(value)})`);
    return undefined;
  }
  if (maxLength !== undefined && value.length > maxLength) {
    errors.add(key, `must be at most ${maxLength} characters`);
    return undefined;
  }
  if (value.includes('\0')) errors.add(key, 'contains a NUL character');
  else if (!isWellFormedText(value)) errors.add(key, 'contains a lone UTF-16 surrogate');
  return value;
}

function number(
  record: Record<string, unknown>,
  key: string,
  errors: LineErrors,
  rule: 'finite' | 'probability' | 'count' | 'key',
): number | null | undefined {
  const value = record[key];
  if (value === undefined || value === null) return value;
  const ok =
    typeof value === 'number' &&
    (rule === 'probability'
      ? value >= 0 && value <= 1
      : rule === 'finite'
        ? Number.isFinite(value)
        : Number.isInteger(value) && value >= 0 && value <= INT32_MAX);
  if (ok) return value;
  const want =
    rule === 'probability'
      ? 'a number in [0, 1]'
      : rule === 'finite'
        ? 'a finite number'
        : `an integer in [0, ${INT32_MAX}]`;
  errors.add(key, `must be ${want}${rule === 'key' ? '' : ' or null'} (got ${describe(value)})`);
  return undefined;
}

/**
 * One wire line (parsed JSON) as a row for the rollout store, or every problem with it. With a
 * completion, the API scores it with libs/calibration: reward_brier is always its own score, and
 * p_yes, brier_score, parseable, p_yes_extracted, length_penalty, approx_tokens, completion_chars
 * and parsed_answer default to it; without one, p_yes and brier_score are required.
 */
export function parseRolloutLine(value: unknown, context: WireContext): WireParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [{ field: '', message: `must be a JSON object (got ${describe(value)})` }] };
  }
  const record = value as Record<string, unknown>;
  const errors = new LineErrors();
  for (const key in record) {
    if (!KNOWN.has(key)) errors.add(key, 'is not a rollout field');
  }

  const step = number(record, 'step', errors, 'key');
  if (step === undefined && !('step' in record)) errors.add('step', 'is required');
  else if (step === null) errors.add('step', 'is required (got null)');
  let attempt = number(record, 'attempt', errors, 'key');
  let attemptMismatch = false;
  if (attempt === null || (attempt === undefined && !('attempt' in record))) attempt = context.defaultAttempt;
  if (
    typeof attempt === 'number' &&
    context.requiredAttempt !== undefined &&
    attempt !== context.requiredAttempt
  ) {
    errors.add('attempt', `is ${attempt}, but the lease is for attempt ${context.requiredAttempt}`);
    attemptMismatch = true;
  }
  const sampleKey = text(record, 'sample_key', errors, L.keyMaxLength);
  if (sampleKey === null || sampleKey === '' || (sampleKey === undefined && !('sample_key' in record))) {
    errors.add('sample_key', 'is required (a non-empty string)');
  }
  const exampleId = text(record, 'example_id', errors, L.keyMaxLength);

  if ('prompt' in record && 'full_prompt' in record) errors.add('full_prompt', 'cannot be sent with prompt');
  // A prompt repeats for every rollout of its example: its text is checked once per batch, later.
  const promptValue = record['prompt'] ?? record['full_prompt'];
  let prompt: string | null = null;
  if (promptValue !== undefined && promptValue !== null) {
    if (typeof promptValue === 'string') prompt = promptValue;
    else
      errors.add(
        'prompt' in record ? 'prompt' : 'full_prompt',
        `must be a string or null (got ${describe(promptValue)})`,
      );
  }
  if ('completion' in record && 'full_completion' in record)
    errors.add('full_completion', 'cannot be sent with completion');
  const completionKey = 'completion' in record ? 'completion' : 'full_completion';
  let completion = text(record, completionKey, errors) ?? null;
  if (completion !== null && completionKey === 'full_completion') completion = unwrapCompletion(completion);

  let label: 0 | 1 | undefined;
  const groundTruth = record['ground_truth'];
  if (groundTruth !== undefined) {
    if (typeof groundTruth === 'boolean' || typeof groundTruth === 'string') label = labelOf(groundTruth);
    else errors.add('ground_truth', `must be a boolean or a string (got ${describe(groundTruth)})`);
  }
  const labelValue = record['label'];
  if (labelValue !== undefined) {
    if (labelValue !== 0 && labelValue !== 1)
      errors.add('label', `must be 0 or 1 (got ${describe(labelValue)})`);
    else if (label !== undefined && label !== labelValue)
      errors.add('label', `is ${labelValue}, but ground_truth ${JSON.stringify(groundTruth)} means ${label}`);
    else label = labelValue;
  }
  if (label === undefined && groundTruth === undefined && labelValue === undefined) {
    errors.add('ground_truth', 'is required (or label)');
  }

  let pYes = number(record, 'p_yes', errors, 'probability');
  let pYesExtracted = number(record, 'p_yes_extracted', errors, 'probability');
  let brier = number(record, 'brier_score', errors, 'probability');
  let parseable: boolean | null | undefined = record['parseable'] as boolean | null | undefined;
  if (parseable !== undefined && parseable !== null && typeof parseable !== 'boolean') {
    errors.add('parseable', `must be a boolean or null (got ${describe(parseable)})`);
    parseable = undefined;
  }
  let lengthPenalty = number(record, 'length_penalty', errors, 'finite');
  const rewardTrainer = number(record, 'reward', errors, 'finite');
  let approxTokens = number(record, 'approx_tokens', errors, 'finite');
  let completionChars = number(record, 'completion_chars', errors, 'count');
  const completionTokens = number(record, 'completion_tokens', errors, 'count');
  let answerText = text(record, 'parsed_answer', errors);

  if (completion === null) {
    if (pYes === undefined || pYes === null) {
      if (!errors.list.some((e) => e.field === 'p_yes'))
        errors.add('p_yes', 'is required without a completion');
    }
    if (brier === undefined || brier === null) {
      if (!errors.list.some((e) => e.field === 'brier_score'))
        errors.add('brier_score', 'is required without a completion');
    }
  }
  if (errors.list.length > 0)
    return { ok: false, errors: errors.list, ...(attemptMismatch ? { attemptMismatch } : {}) };

  let rewardBrier: number | null = null;
  if (completion !== null) {
    const score = scoreCompletion(completion, label === 1, context.penalty);
    rewardBrier = score.reward;
    pYes ??= score.pYes;
    brier ??= score.brier;
    if (parseable === undefined) parseable = score.parseable;
    if (pYesExtracted === undefined) pYesExtracted = score.pYesExtracted;
    if (lengthPenalty === undefined) lengthPenalty = score.lengthPenalty;
    if (approxTokens === undefined) approxTokens = score.approxTokens;
    // The scorer's approxTokens is its code point count / 4 (exact in binary floating point).
    if (completionChars === undefined) completionChars = score.approxTokens * 4;
    if (answerText === undefined) answerText = score.answerText.slice(0, 500);
  }
  return {
    ok: true,
    row: {
      step: step!,
      attempt: attempt as number,
      sampleKey: sampleKey!,
      label: label!,
      pYes: pYes!,
      brier: brier!,
      prompt,
      exampleId: exampleId ?? null,
      completion,
      answerText: answerText ?? null,
      pYesExtracted: pYesExtracted ?? null,
      parseable: parseable ?? null,
      lengthPenalty: lengthPenalty ?? null,
      rewardTrainer: rewardTrainer ?? null,
      rewardBrier,
      completionChars: completionChars ?? null,
      completionTokens: completionTokens ?? null,
      approxTokens: approxTokens ?? null,
    },
  };
}

/** RolloutRow field → the wire key that carries it (to name a field in a RolloutBatchError). */
export const WIRE_FIELD_OF_ROW: Readonly<Record<string, string>> = {
  step: 'step',
  attempt: 'attempt',
  sampleKey: 'sample_key',
  label: 'ground_truth',
  pYes: 'p_yes',
  brier: 'brier_score',
  prompt: 'prompt',
  exampleId: 'example_id',
  completion: 'completion',
  answerText: 'parsed_answer',
  pYesExtracted: 'p_yes_extracted',
  parseable: 'parseable',
  lengthPenalty: 'length_penalty',
  rewardTrainer: 'reward',
  rewardBrier: 'reward_brier',
  completionChars: 'completion_chars',
  completionTokens: 'completion_tokens',
  approxTokens: 'approx_tokens',
};
