import { scoreCompletion, type ScoredRollout } from '@brier/calibration';

import { mulberry32 } from '../../../scripts/lib/mulberry32.mjs';
import type { RolloutRow } from '../src/rollouts/rollout-row.js';

/** The fixtures' generator (mulberry32, shared with the benchmarks): deterministic rows on every machine. */
export const random: (seed: number) => () => number = mulberry32;

const SENTENCES = [
  'The passage states this directly, so the evidence is fairly strong.',
  'However, the wording leaves some room for doubt about the exact claim.',
  'Since the question asks about a general fact, the passage supports it only indirectly.',
  'The passage does not mention this explicitly, which lowers my confidence.',
];

export interface MakeRowsOptions {
  steps: readonly number[];
  perStep: number;
  attempt?: number;
  seed?: number;
  /** Rollouts per prompt (the seed: 8). */
  rolloutsPerExample?: number;
  /** Prefix of example ids and prompts, so different calls can share or not share prompts. */
  prefix?: string;
}

/** Scored rollouts like the agent ships: prompts repeated per example, some unparseable or penalised. */
export function makeRows(options: MakeRowsOptions): RolloutRow[] {
  const rand = random(options.seed ?? 1);
  const perExample = options.rolloutsPerExample ?? 8;
  const prefix = options.prefix ?? 'ex';
  const rows: RolloutRow[] = [];
  for (const step of options.steps) {
    for (let i = 0; i < options.perStep; i++) {
      const example = `${prefix}-${step}-${Math.floor(i / perExample)}`;
      const label = rand() < 0.5 ? 1 : 0;
      let reasoning = 'Reasoning:';
      const target = 50 + Math.floor(rand() * 1900);
      while (reasoning.length < target) reasoning += ` ${SENTENCES[Math.floor(rand() * SENTENCES.length)]}`;
      const roll = rand();
      const completion =
        roll < 0.05
          ? `${reasoning}\nI am not sure.`
          : `${reasoning}\nANSWER: ${rand() < 0.5 ? 'YES' : 'NO'} with ${Math.floor(rand() * 101)}% probability`;
      const score = scoreCompletion(completion, label === 1);
      rows.push({
        step,
        attempt: options.attempt ?? 0,
        sampleKey: `${example}#${i % perExample}`,
        exampleId: example,
        prompt: `Read the passage below (${example}).\nPassage: ${'lorem ipsum '.repeat(200)}\n\nQuestion: is it ${example}?`,
        label,
        completion,
        answerText: score.answerText,
        pYes: score.pYes,
        pYesExtracted: score.pYesExtracted,
        parseable: score.parseable,
        brier: score.brier,
        lengthPenalty: score.lengthPenalty,
        rewardTrainer: score.reward,
        rewardBrier: score.reward,
        completionChars: [...completion].length,
        completionTokens: null,
        approxTokens: score.approxTokens,
      });
    }
  }
  return rows;
}

/** The row as libs/calibration's metrics see it. */
export function toScored(row: RolloutRow): ScoredRollout {
  return {
    pYes: row.pYes,
    label: row.label,
    parseable: row.parseable ?? null,
    reward: row.rewardTrainer ?? null,
    brier: row.brier,
    approxTokens: row.approxTokens ?? null,
    lengthPenalty: row.lengthPenalty ?? null,
  };
}

/** Many small rows fast (no scoring of long texts): stated percentages, every field filled. */
export function makeCheapRows(steps: readonly number[], perStep: number, seed = 3): RolloutRow[] {
  const rand = random(seed);
  const rows: RolloutRow[] = [];
  for (const step of steps) {
    for (let i = 0; i < perStep; i++) {
      const label = rand() < 0.5 ? 1 : 0;
      const parseable = rand() > 0.03;
      const stated = Math.floor(rand() * 101);
      const pYes = parseable ? (rand() < 0.5 ? stated / 100 : 1 - stated / 100) : 0.5;
      const brier = (pYes - label) ** 2;
      const approxTokens = 20 + Math.floor(rand() * 600);
      const lengthPenalty = approxTokens > 409.6 ? -Math.min((approxTokens - 409.6) / 102.4, 1) : 0;
      const reward = (parseable ? 1 - brier : 0) + lengthPenalty;
      rows.push({
        step,
        attempt: 0,
        sampleKey: `cheap-${step}-${i}`,
        exampleId: `ex-${i >> 3}`,
        prompt: `prompt ${step}-${i >> 3}`,
        label,
        completion: `Reasoning:\tshort ${i}\nANSWER: YES with ${stated}% probability`,
        answerText: `ANSWER ${i}`,
        pYes,
        pYesExtracted: parseable ? pYes : null,
        parseable,
        brier,
        lengthPenalty,
        rewardTrainer: reward,
        rewardBrier: reward,
        completionChars: approxTokens * 4,
        completionTokens: approxTokens,
        approxTokens,
      });
    }
  }
  return rows;
}
