import {
  codePointLength,
  codePointPrefix,
  scoreCompletion,
  type LengthPenaltyConfig,
} from '@brier/calibration';

import type { EvalQuestion } from './eval-questions.js';

/** The seed kept the first 500 characters of the parsed text (record.py PARSED_ANSWER_CHARS). */
export const PARSED_ANSWER_CHARS = 500;

/**
 * One rollout as the calibrated_qa environment logs it during training (record.py seed_fields,
 * then rollout_log's index and step, then the env's extras), so an evaluation ships through the
 * same path as a training step. Keys in the env's order. pid and ts are left out: no env worker
 * wrote it.
 */
export interface EvalRecord {
  full_prompt: string;
  ground_truth: 'true' | 'false';
  p_yes: number;
  p_yes_extracted: number | null;
  parseable: boolean;
  brier_score: number;
  reward: number;
  length_penalty: number;
  approx_tokens: number;
  parsed_answer: string;
  full_completion: string;
  index: number;
  step: number;
  example_id: string;
  prompt_template: string;
  completion_chars: number;
}

/** An evaluation is one step: step 0. */
export const EVAL_STEP = 0;

/** The env's transcript of one message: "[role] content\n" (record.py transcript). */
function transcript(role: 'user' | 'assistant', content: string): string {
  return `[${role}] ${content}\n`;
}

/** Score one completion with libs/calibration (the seed's rules) and shape it like the env's record. */
export function buildEvalRecord(input: {
  question: EvalQuestion;
  completion: string;
  index: number;
  promptTemplate: string;
  reward: LengthPenaltyConfig;
}): EvalRecord {
  const { question, completion } = input;
  const score = scoreCompletion(completion, question.groundTruth, input.reward);
  return {
    full_prompt: transcript('user', question.userMessage),
    ground_truth: question.groundTruth,
    p_yes: score.pYes,
    p_yes_extracted: score.pYesExtracted,
    parseable: score.parseable,
    brier_score: score.brier,
    reward: score.reward,
    length_penalty: score.lengthPenalty,
    approx_tokens: score.approxTokens,
    parsed_answer: codePointPrefix(score.answerText, PARSED_ANSWER_CHARS),
    full_completion: transcript('assistant', completion),
    index: input.index,
    step: EVAL_STEP,
    example_id: question.exampleId,
    prompt_template: input.promptTemplate,
    // Python's len(): code points, as the env counts them.
    completion_chars: codePointLength(completion),
  };
}
