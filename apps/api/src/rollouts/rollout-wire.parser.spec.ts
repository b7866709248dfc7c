import { scoreCompletion, SEED_LENGTH_PENALTY } from '@brier/calibration';
import { describe, expect, it } from 'vitest';

import { parseRolloutLine, penaltyOf, unwrapCompletion } from './rollout-wire.parser.js';

const context = { defaultAttempt: 3, penalty: SEED_LENGTH_PENALTY };
const completion = `${'Reasoning. '.repeat(40)}\nANSWER: NO with 90% probability`;

describe('unwrapCompletion', () => {
  it("joins the seed transcript's assistant messages, and leaves other text alone", () => {
    expect(unwrapCompletion('[assistant] hello\n')).toBe('hello');
    expect(unwrapCompletion('[assistant] <think>a\n[assistant] </think> ANSWER: YES with 70%\n')).toBe(
      '<think>a</think> ANSWER: YES with 70%',
    );
    expect(unwrapCompletion('plain text')).toBe('plain text');
  });
});

describe('penaltyOf', () => {
  it("takes a run spec's reward bounds, else the seed's", () => {
    expect(penaltyOf({ reward: { maxTokens: 256, lowFraction: 0.1, highFraction: 0.9 } })).toEqual({
      maxTokens: 256,
      lowFraction: 0.1,
      highFraction: 0.9,
    });
    expect(penaltyOf({})).toBe(SEED_LENGTH_PENALTY);
    expect(penaltyOf({ reward: { lowFraction: 0.9, highFraction: 0.1 } })).toBe(SEED_LENGTH_PENALTY);
  });
});

describe('parseRolloutLine', () => {
  it('counts completion_chars in code points, as the seed (Python) does', () => {
    const text = `😀 two emoji 👩‍👩‍👧 and tab\t ${completion}`;
    const parsed = parseRolloutLine(
      { step: 0, sample_key: 'k', ground_truth: true, completion: text },
      context,
    );
    expect(parsed.ok && parsed.row.completionChars).toBe([...text].length);
    expect([...text].length).toBeLessThan(text.length);
  });

  it('scores a completion: reward_brier, and the defaults of every scored field', () => {
    const parsed = parseRolloutLine(
      { step: 2, sample_key: 'ex#0', ground_truth: 'False', completion },
      context,
    );
    const score = scoreCompletion(completion, 'False');
    expect(parsed).toEqual({
      ok: true,
      row: {
        step: 2,
        attempt: 3,
        sampleKey: 'ex#0',
        label: 0,
        pYes: score.pYes,
        brier: score.brier,
        prompt: null,
        exampleId: null,
        completion,
        answerText: score.answerText,
        pYesExtracted: score.pYesExtracted,
        parseable: true,
        lengthPenalty: score.lengthPenalty,
        rewardTrainer: null,
        rewardBrier: score.reward,
        completionChars: completion.length,
        completionTokens: null,
        approxTokens: score.approxTokens,
      },
    });
  });

  it("keeps the trainer's values where they are sent", () => {
    const parsed = parseRolloutLine(
      {
        step: 0,
        attempt: 1,
        sample_key: 'k',
        label: 1,
        completion,
        p_yes: 0.25,
        brier_score: 0.5625,
        reward: 0.1,
      },
      context,
    );
    expect(parsed.ok && parsed.row).toMatchObject({
      attempt: 1,
      label: 1,
      pYes: 0.25,
      brier: 0.5625,
      rewardTrainer: 0.1,
    });
  });

  it('names every bad field', () => {
    const parsed = parseRolloutLine(
      {
        step: -1,
        sample_key: '',
        ground_truth: 3,
        p_yes: 2,
        parseable: 'yes',
        colour: 'red',
        prompt: 1,
        full_prompt: 'x',
      },
      context,
    );
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.map((e) => e.field)).toEqual([
      'colour',
      'step',
      'sample_key',
      'full_prompt',
      'prompt',
      'ground_truth',
      'p_yes',
      'parseable',
      'brier_score',
    ]);
    expect(parseRolloutLine([1], context)).toMatchObject({ ok: false, errors: [{ field: '' }] });
    expect(parseRolloutLine({ step: 1, sample_key: 'a', label: 1 }, context)).toMatchObject({
      ok: false,
      errors: [
        { field: 'p_yes', message: 'is required without a completion' },
        { field: 'brier_score', message: 'is required without a completion' },
      ],
    });
  });

  it('flags a line of another attempt than the lease', () => {
    const parsed = parseRolloutLine(
      { step: 1, attempt: 1, sample_key: 'a', label: 1, p_yes: 1, brier_score: 0 },
      { ...context, requiredAttempt: 2 },
    );
    expect(parsed).toMatchObject({ ok: false, attemptMismatch: true, errors: [{ field: 'attempt' }] });
  });

  it('refuses text Postgres cannot store', () => {
    const parsed = parseRolloutLine(
      { step: 1, sample_key: 'a\u0000', ground_truth: true, completion: 'x\ud800' },
      context,
    );
    expect(!parsed.ok && parsed.errors.map((e) => e.message)).toEqual([
      'contains a NUL character',
      'contains a lone UTF-16 surrogate',
    ]);
  });
});
