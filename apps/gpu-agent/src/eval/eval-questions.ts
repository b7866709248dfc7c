import { join } from 'node:path';

import { renderPrompt, type PromptTemplate } from '@brier/calibration';
import { boolqDataDir, bundledValidationPath, loadBoolQJsonl, sample } from '@brier/boolq';
import type { EvalDatasetDto } from '@brier/contracts';

import { EvaluationError } from './evaluation-error.js';

/** One question as asked: its gold answer as the env records it, its id, the rendered user message. */
export interface EvalQuestion {
  /** libs/boolq's content-hash id (the env's example_id). */
  exampleId: string;
  /** The env's `answer` column: "true" or "false". */
  groundTruth: 'true' | 'false';
  /** The prompt template rendered for this question, byte-exact with the training prompt. */
  userMessage: string;
}

/**
 * Where a split is read from on this host: `<data dir>/boolq/val.jsonl` (bundled) for validation,
 * `<data dir>/boolq/train.jsonl` for train (BRIER_DATA_DIR moves the data dir).
 */
export function evalDatasetPath(
  dataset: Pick<EvalDatasetDto, 'split'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return dataset.split === 'validation' ? bundledValidationPath(env) : join(boolqDataDir(env), 'train.jsonl');
}

/**
 * The questions of an evaluation, in the order they are asked and indexed: the seeded sample of
 * libs/boolq (`sample(examples, limit, seed)`, all of the split in seeded order without a limit),
 * so the same spec asks the same questions in the same order on any host. A malformed line fails
 * the evaluation: a silently smaller held-out set would not be the set the spec names.
 */
export async function loadEvalQuestions(
  dataset: Pick<EvalDatasetDto, 'limit' | 'seed'>,
  template: PromptTemplate,
  path: string,
): Promise<EvalQuestion[]> {
  let examples;
  try {
    ({ examples } = await loadBoolQJsonl(path, { strict: true }));
  } catch (error) {
    throw new EvaluationError('bad-input', `dataset ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (examples.length === 0) throw new EvaluationError('bad-input', `dataset ${path} holds no questions`);
  const count = Math.min(dataset.limit ?? examples.length, examples.length);
  return sample(examples, count, dataset.seed).map((example) => ({
    exampleId: example.id,
    groundTruth: example.answer ? 'true' : 'false',
    userMessage: renderPrompt(template, { question: example.question, passage: example.passage }),
  }));
}
