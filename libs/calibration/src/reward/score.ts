import { parseAnswer } from '../answer/answer-parser.js';
import { codePointLength } from '../text/python-text.js';
import { lengthPenalty, SEED_LENGTH_PENALTY, type LengthPenaltyConfig } from './length-penalty.js';

export type Label = 0 | 1;

export interface Score {
  parseable: boolean;
  /** P(YES) as the seed records it: 0.5 when unparseable. */
  pYes: number;
  /** P(YES) read from the answer, null when unparseable. */
  pYesExtracted: number | null;
  brier: number;
  lengthPenalty: number;
  /** Characters / 4 — the seed's token estimate, not a tokenizer count. */
  approxTokens: number;
  /** (1 − Brier, or 0 when unparseable) + length penalty, in [−1, 1]. */
  reward: number;
  answerText: string;
}

/** The seed's label rule: str(ground_truth).lower() == "true" (accepts true, "true", "True"). */
export function labelOf(groundTruth: unknown): Label {
  return pythonStr(groundTruth).toLowerCase() === 'true' ? 1 : 0;
}

/** Enough of Python's str() for the values a ground-truth field holds. */
function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Score one assistant reply exactly as the seed's brier_reward_func did. */
export function scoreCompletion(
  completion: string,
  groundTruth: unknown,
  config: LengthPenaltyConfig = SEED_LENGTH_PENALTY,
): Score {
  const { answerText, pYes: extracted } = parseAnswer(completion);
  const parseable = extracted !== null;
  const pYes = extracted ?? 0.5;
  const brier = (pYes - labelOf(groundTruth)) ** 2;
  const approxTokens = codePointLength(completion) / 4;
  const penalty = lengthPenalty(approxTokens, config);
  return {
    parseable,
    pYes,
    pYesExtracted: extracted,
    brier,
    lengthPenalty: penalty,
    approxTokens,
    reward: (parseable ? 1 - brier : 0) + penalty,
    answerText,
  };
}
