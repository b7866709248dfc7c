import { SEED_LENGTH_PENALTY } from '@brier/calibration';

import type { RunKind } from './run-kind.js';
import { isPlainObject, mergeUnder } from './plain-merge.js';
import { RUN_LIMITS } from './validation/limits.js';

/**
 * What a spec field is when the request leaves it out: the seed's published run
 * (shared/docs/seed-spec.md §6) for training, the held-out validation split for evaluation.
 * The defaults are applied before validation, so a stored spec is always complete and an agent
 * never needs to know them.
 */
export const TRAIN_SPEC_DEFAULTS = {
  maxSteps: 50,
  batchSize: 1024,
  rolloutsPerExample: 8,
  maxTokens: SEED_LENGTH_PENALTY.maxTokens,
  seqLen: 2048,
  learningRate: 1e-6,
  maxAsyncLevel: 0,
  /** prime-rl's own default sampling temperature; the seed did not set one. */
  temperature: 1,
  promptTemplate: 'boolq-passage-v1',
  dataset: { name: 'boolq', split: 'train', balance: true, seed: 42 },
  reward: { lowFraction: SEED_LENGTH_PENALTY.lowFraction, highFraction: SEED_LENGTH_PENALTY.highFraction },
  checkpoints: true,
  primeRl: { version: 'v0.4.0' },
} as const;

export const EVAL_SPEC_DEFAULTS = {
  dataset: { name: 'boolq', split: 'validation', seed: 42 },
  samplesPerQuestion: 4,
  maxTokens: SEED_LENGTH_PENALTY.maxTokens,
  temperature: 1,
  promptTemplate: 'boolq-passage-v1',
  concurrency: 32,
  reward: { lowFraction: SEED_LENGTH_PENALTY.lowFraction, highFraction: SEED_LENGTH_PENALTY.highFraction },
} as const;

export const IMPORT_SPEC_DEFAULTS = {
  batchSize: 1024,
  source: 'upload',
} as const;

export const SPEC_DEFAULTS: Readonly<Record<RunKind, Readonly<Record<string, unknown>>>> = {
  train: TRAIN_SPEC_DEFAULTS,
  eval: EVAL_SPEC_DEFAULTS,
  import: IMPORT_SPEC_DEFAULTS,
};

/**
 * `spec` with the defaults of `kind` filled in wherever it leaves a field out (nested objects
 * field by field); `reward.maxTokens` defaults to the spec's own `maxTokens`. A spec that is not
 * a plain object is returned as it is, for validation to reject. The input is not modified.
 */
export function withDefaults(kind: RunKind, spec: Record<string, unknown>): Record<string, unknown>;
export function withDefaults(kind: RunKind, spec: unknown): unknown;
export function withDefaults(kind: RunKind, spec: unknown): unknown {
  if (!isPlainObject(spec)) return spec;
  const filled = mergeUnder(SPEC_DEFAULTS[kind], spec) as Record<string, unknown>;
  const reward = filled['reward'];
  if (isPlainObject(reward) && reward['maxTokens'] === undefined) {
    reward['maxTokens'] = penaltyMaxTokens(filled['maxTokens']);
  }
  return filled;
}

/** The spec's maxTokens when it is usable; otherwise the seed's (its own error is reported on it). */
function penaltyMaxTokens(maxTokens: unknown): number {
  const usable =
    typeof maxTokens === 'number' &&
    Number.isInteger(maxTokens) &&
    maxTokens >= 1 &&
    maxTokens <= RUN_LIMITS.maxTokensMax;
  return usable ? maxTokens : SEED_LENGTH_PENALTY.maxTokens;
}
