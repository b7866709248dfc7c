import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { labelOf, SEED_LENGTH_PENALTY, type LengthPenaltyConfig } from '@brier/calibration';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import type { EvalQuestion } from './eval-questions.js';
import { buildEvalRecord, PARSED_ANSWER_CHARS } from './eval-record.js';

interface VectorCase {
  id: string;
  completion: string;
  ground_truth: unknown;
  config?: { max_tokens: number; low_fraction: number; high_fraction: number };
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

const vectors = JSON.parse(
  readFileSync(new URL('../../../../libs/calibration/vectors/scoring.json', import.meta.url), 'utf8'),
) as { cases: VectorCase[] };
const ENV_DIR = fileURLToPath(new URL('../../environments/calibrated_qa', import.meta.url));

// The env's key order (record.py SEED_KEYS, then rollout_log's index/step, then the env's extras).
const ENV_KEYS = [
  'full_prompt',
  'ground_truth',
  'p_yes',
  'p_yes_extracted',
  'parseable',
  'brier_score',
  'reward',
  'length_penalty',
  'approx_tokens',
  'parsed_answer',
  'full_completion',
  'index',
  'step',
  'example_id',
  'prompt_template',
  'completion_chars',
];

function expectedScore({ answer_text: _text, ...score }: VectorCase['expected']) {
  return score;
}

function question(
  groundTruth: 'true' | 'false',
  userMessage = 'Read the passage.\nQuestion: is it?',
): EvalQuestion {
  return { exampleId: 'boolq-0123456789abcdef', groundTruth, userMessage };
}

function record(
  completion: string,
  groundTruth: 'true' | 'false',
  reward: LengthPenaltyConfig = SEED_LENGTH_PENALTY,
) {
  return buildEvalRecord({
    question: question(groundTruth),
    completion,
    index: 7,
    promptTemplate: 'boolq-passage-v1',
    reward,
  });
}

describe('buildEvalRecord', () => {
  it("has the env's keys in the env's order, step 0, the index it was given", () => {
    const built = record('ANSWER: YES with 80% probability', 'true');
    expect(Object.keys(built)).toEqual(ENV_KEYS);
    expect(built).toMatchObject({
      index: 7,
      step: 0,
      example_id: 'boolq-0123456789abcdef',
      prompt_template: 'boolq-passage-v1',
      ground_truth: 'true',
      full_prompt: '[user] Read the passage.\nQuestion: is it?\n',
      full_completion: '[assistant] ANSWER: YES with 80% probability\n',
    });
  });

  it.each(vectors.cases.map((c) => [c.id, c] as const))(
    'scores vector %s exactly as libs/calibration (the seed) does',
    (_id, c) => {
      const reward = c.config
        ? {
            maxTokens: c.config.max_tokens,
            lowFraction: c.config.low_fraction,
            highFraction: c.config.high_fraction,
          }
        : SEED_LENGTH_PENALTY;
      const built = record(c.completion, labelOf(c.ground_truth) === 1 ? 'true' : 'false', reward);
      expect({
        parseable: built.parseable,
        p_yes: built.p_yes,
        p_yes_extracted: built.p_yes_extracted,
        brier: built.brier_score,
        length_penalty: built.length_penalty,
        approx_tokens: built.approx_tokens,
        reward: built.reward,
      }).toStrictEqual(expectedScore(c.expected));
      expect(built.parsed_answer).toBe([...c.expected.answer_text].slice(0, PARSED_ANSWER_CHARS).join(''));
    },
  );

  it('counts characters as Python does (code points) and cuts parsed_answer at 500 of them', () => {
    const completion = `${'🙂'.repeat(600)}\nANSWER: NO with 70% probability`;
    const built = record(completion, 'false');
    expect(built.completion_chars).toBe(600 + 1 + 'ANSWER: NO with 70% probability'.length);
    expect([...built.parsed_answer]).toHaveLength(PARSED_ANSWER_CHARS);
    expect(built.parsed_answer).toBe('🙂'.repeat(PARSED_ANSWER_CHARS));
  });

  it("equals the calibrated_qa env's own record for the same rollout (Python, seed_fields)", async () => {
    const cases = [
      ['Because the passage says so.\nANSWER: YES with 85% probability', 'true'],
      ['<think>unsure</think>\nNO with 60% confidence', 'true'],
      ['<think>never closed ANSWER: YES with 99% probability', 'false'],
      [`${'é🙂'.repeat(700)}\nANSWER: NO with 95% probability`, 'false'],
      ['no answer here', 'false'],
    ] as const;
    const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
from calibrated_qa.record import seed_fields
from calibrated_qa.scoring import score_completion
out = []
for prompt, completion, answer in json.loads(sys.stdin.read()):
    score = score_completion(completion, answer)
    out.append(seed_fields([{"role": "user", "content": prompt}], [{"role": "assistant", "content": completion}], answer, score))
print(json.dumps(out))
`;
    const prompt = 'Read the passage below.\nPassage: Ünïcode 🙂 text\n\nQuestion: is it?';
    const { stdout } = await execa('python3', ['-c', script, ENV_DIR], {
      input: JSON.stringify(cases.map(([completion, answer]) => [prompt, completion, answer])),
      timeout: 10_000,
    });
    const python = JSON.parse(stdout) as Array<Record<string, unknown>>;
    cases.forEach(([completion, answer], i) => {
      const built = buildEvalRecord({
        question: question(answer, prompt),
        completion,
        index: i,
        promptTemplate: 'boolq-passage-v1',
        reward: SEED_LENGTH_PENALTY,
      });
      const seedPart = Object.fromEntries(
        ENV_KEYS.slice(0, 11).map((key) => [key, built[key as keyof typeof built]]),
      );
      expect(seedPart).toEqual(python[i]);
    });
  });
});
