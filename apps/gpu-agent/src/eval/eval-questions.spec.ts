import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { renderPrompt } from '@brier/calibration';
import { bundledValidationPath, exampleId, loadBundledValidation, sample } from '@brier/boolq';
import { afterAll, describe, expect, it } from 'vitest';

import { evalDatasetPath, loadEvalQuestions } from './eval-questions.js';
import { EvaluationError } from './evaluation-error.js';
import { loadPromptTemplate } from './prompt-template-file.js';

const dir = mkdtempSync(join(tmpdir(), 'brier-eval-questions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadEvalQuestions', () => {
  it("asks libs/boolq's seeded sample in its order, with its content-hash ids and the training prompt", async () => {
    const template = await loadPromptTemplate('boolq-passage-v1');
    const questions = await loadEvalQuestions({ limit: 25, seed: 7 }, template, bundledValidationPath());
    const { examples } = await loadBundledValidation();
    const expected = sample(examples, 25, 7);
    expect(questions.map((q) => q.exampleId)).toEqual(expected.map((e) => e.id));
    expect(questions.map((q) => q.exampleId)).toEqual(expected.map((e) => exampleId(e)));
    expect(questions.map((q) => q.groundTruth)).toEqual(expected.map((e) => (e.answer ? 'true' : 'false')));
    expect(questions[0]!.userMessage).toBe(renderPrompt(template, expected[0]!));
    expect(questions[0]!.userMessage).toMatch(/^Read the passage below[\s\S]*\nQuestion: .*\?$/);
  });

  it('asks all of the split, in seeded order, without a limit (and never more than it holds)', async () => {
    const template = await loadPromptTemplate('boolq-no-passage-v1');
    const all = await loadEvalQuestions({ seed: 42 }, template, bundledValidationPath());
    expect(all).toHaveLength(3270);
    const capped = await loadEvalQuestions({ limit: 5000, seed: 42 }, template, bundledValidationPath());
    expect(capped.map((q) => q.exampleId)).toEqual(all.map((q) => q.exampleId));
    const first = await loadEvalQuestions({ limit: 3, seed: 42 }, template, bundledValidationPath());
    expect(first.map((q) => q.exampleId)).toEqual(all.slice(0, 3).map((q) => q.exampleId));
  });

  it('fails on a malformed line or an empty file instead of asking fewer questions', async () => {
    const template = await loadPromptTemplate('boolq-passage-v1');
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"question": "q", "passage": "T -- p", "label": "true"}\n{not json}\n');
    await expect(loadEvalQuestions({ seed: 1 }, template, bad)).rejects.toThrow(EvaluationError);
    await expect(loadEvalQuestions({ seed: 1 }, template, bad)).rejects.toThrow(/bad\.jsonl.*line 2/);
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n');
    await expect(loadEvalQuestions({ seed: 1 }, template, empty)).rejects.toThrow(/holds no questions/);
    await expect(loadEvalQuestions({ seed: 1 }, template, join(dir, 'missing.jsonl'))).rejects.toThrow(
      /ENOENT/,
    );
  });

  it("reads validation from the host's bundled copy and train from the same data dir", () => {
    expect(evalDatasetPath({ split: 'validation' }, { BRIER_DATA_DIR: '/data' })).toBe(
      '/data/boolq/val.jsonl',
    );
    expect(evalDatasetPath({ split: 'train' }, { BRIER_DATA_DIR: '/data' })).toBe('/data/boolq/train.jsonl');
  });

  it('refuses a prompt template that is not in configs/prompts', async () => {
    await expect(loadPromptTemplate('no-such-template')).rejects.toThrow(/not a prompt template/);
    await expect(loadPromptTemplate('../secrets')).rejects.toThrow(EvaluationError);
  });
});
