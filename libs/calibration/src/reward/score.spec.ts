import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scoreCompletion } from './score.js';

interface VectorCase {
  id: string;
  completion: string;
  ground_truth: unknown;
  config?: { max_tokens: number; low_fraction: number; high_fraction: number };
  printed_reward?: number;
  expected: {
    parseable: boolean;
    p_yes: number;
    p_yes_extracted: number | null;
    brier: number;
    length_penalty: number;
    approx_tokens: number;
    reward: number;
    answer_text: string;
  };
}

const vectors = JSON.parse(readFileSync(new URL('../../vectors/scoring.json', import.meta.url), 'utf8')) as {
  cases: VectorCase[];
};

describe('scoreCompletion reproduces the shared vectors bit for bit', () => {
  it('has the promised coverage', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(vectors.cases.map((c) => c.id)).size).toBe(vectors.cases.length);
  });

  it.each(vectors.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const config = c.config && {
      maxTokens: c.config.max_tokens,
      lowFraction: c.config.low_fraction,
      highFraction: c.config.high_fraction,
    };
    const score = scoreCompletion(c.completion, c.ground_truth, config);
    expect({
      parseable: score.parseable,
      p_yes: score.pYes,
      p_yes_extracted: score.pYesExtracted,
      brier: score.brier,
      length_penalty: score.lengthPenalty,
      approx_tokens: score.approxTokens,
      reward: score.reward,
      answer_text: score.answerText,
    }).toStrictEqual(c.expected);
    if (c.printed_reward !== undefined) expect(score.reward.toFixed(4)).toBe(c.printed_reward.toFixed(4));
  });
});

describe('documented pins', () => {
  it('NO 90% is 0.09999999999999998', () => {
    expect(scoreCompletion('ANSWER: NO with 90% probability', 'false').pYes).toBe(0.09999999999999998);
  });

  it("seed-spec's published samples: 270 chars on NO at p=0.8, 156 chars at p=0", () => {
    const at80 = `${'x'.repeat(270 - 32)}ANSWER: YES with 80% probability`;
    expect(at80.length).toBe(270);
    expect(scoreCompletion(at80, false).reward.toFixed(4)).toBe('0.0192');
    const at0 = `${'x'.repeat(156 - 32)}ANSWER: NO with 100% probability`;
    expect(scoreCompletion(at0, false).reward.toFixed(4)).toBe('0.3809');
  });
});
