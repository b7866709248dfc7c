import { scoreCompletion, SEED_LENGTH_PENALTY } from '@brier/calibration';
import { describe, expect, it } from 'vitest';

import { parseEnvRecord, storableText, unwrapTranscript } from './env-record.js';

const CONTEXT = { position: 0, startStep: 0, batchSize: 4 };
const COMPLETION = '<think>short</think>ANSWER: YES with 80% confidence';

/** A record the way calibrated_qa's record.py + rollout_log.py write it. */
function envRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const score = scoreCompletion(COMPLETION, 'True', SEED_LENGTH_PENALTY);
  return {
    full_prompt: '[user] Is the sky blue?\n',
    ground_truth: 'True',
    p_yes: score.pYes,
    p_yes_extracted: score.pYesExtracted,
    parseable: score.parseable,
    brier_score: score.brier,
    reward: score.reward,
    length_penalty: score.lengthPenalty,
    approx_tokens: score.approxTokens,
    parsed_answer: score.answerText,
    full_completion: `[assistant] ${COMPLETION}\n`,
    index: 6,
    step: 1,
    example_id: 'boolq-val-17',
    prompt_template: 'seed',
    completion_chars: COMPLETION.length,
    pid: 4242,
    ts: 1760000000.5,
    ...overrides,
  };
}

function parse(record: unknown, context = CONTEXT) {
  return parseEnvRecord(JSON.stringify(record), context);
}

describe('parseEnvRecord', () => {
  it('turns an env line into a wire rollout keyed by its global index, without the attribution keys', () => {
    const result = parse(envRecord());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { rollout } = result;
    expect(rollout).toMatchObject({ index: 6, step: 1, groundTruth: 'True', scoredCompletion: COMPLETION });
    expect(rollout.wire).toMatchObject({
      step: 1,
      sample_key: 'i6',
      example_id: 'boolq-val-17',
      full_prompt: '[user] Is the sky blue?\n',
      full_completion: `[assistant] ${COMPLETION}\n`,
      ground_truth: 'True',
      p_yes: 0.8,
      parseable: true,
      completion_chars: COMPLETION.length,
    });
    expect(rollout.wire).not.toHaveProperty('attempt');
    expect(rollout.wire).not.toHaveProperty('pid');
    expect(rollout.wire).not.toHaveProperty('index');
    expect(rollout.trainerReward).toBe(rollout.wire.reward);
  });

  it('computes the step from the index when the env did not know its batch size', () => {
    const result = parse(envRecord({ step: null, index: 9 }), { position: 9, startStep: 20, batchSize: 4 });
    expect(result.ok && result.rollout.step).toBe(22);
  });

  it('falls back to the line position for a record without an index', () => {
    const record = envRecord();
    delete record['index'];
    delete record['step'];
    const result = parse(record, { position: 5, startStep: 0, batchSize: 4 });
    expect(result.ok && [result.rollout.index, result.rollout.step, result.rollout.wire.sample_key]).toEqual([
      5,
      1,
      'i5',
    ]);
  });

  it('reports malformed lines with the place they held in the log', () => {
    const torn = parseEnvRecord('{"full_prompt": "[user] Is', { position: 7, startStep: 0, batchSize: 4 });
    expect(torn).toMatchObject({ ok: false, index: 7, step: 1 });
    expect(!torn.ok && torn.reason).toMatch(/^not JSON/);
    expect(parse([1, 2])).toMatchObject({ ok: false, reason: 'not a JSON object' });
    expect(parse(envRecord({ ground_truth: null }))).toMatchObject({
      ok: false,
      index: 6,
      reason: 'ground_truth must be a boolean or a string (got null)',
    });
    expect(parse(envRecord({ p_yes: 1.5 }))).toMatchObject({
      ok: false,
      reason: 'p_yes must be a number in [0, 1] (got 1.5)',
    });
    expect(parse(envRecord({ index: -1 }))).toMatchObject({ ok: false, index: 0 });
    const bare = envRecord({ full_completion: null, p_yes: null });
    expect(parse(bare)).toMatchObject({
      ok: false,
      reason: 'has no completion, and no p_yes and brier_score either',
    });
  });

  it('makes text storable (NUL, lone surrogates) but audits the text the env scored', () => {
    const completion = 'ANSWER: NO with 70% confidence \u0000 \udc80';
    const result = parse(envRecord({ full_completion: `[assistant] ${completion}\n`, example_id: 17 }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rollout.wire.full_completion).toBe(
      '[assistant] ANSWER: NO with 70% confidence \uFFFD \uFFFD\n',
    );
    expect(result.rollout.scoredCompletion).toBe(completion);
    expect(result.rollout.wire.example_id).toBe('17');
  });
});

describe('unwrapTranscript', () => {
  it("joins the assistant messages' contents, as the env scored them", () => {
    expect(unwrapTranscript('[assistant] a\n')).toBe('a');
    expect(unwrapTranscript('[assistant] a\n[assistant] b\n')).toBe('ab');
    expect(unwrapTranscript('plain')).toBe('plain');
  });
});

describe('storableText', () => {
  it('keeps surrogate pairs', () => {
    expect(storableText('😀\u0000')).toBe('😀\uFFFD');
  });
});
