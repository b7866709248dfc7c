// A seed-shaped stream of scored rollouts for benchmarks: one batch per step, real BoolQ passages in
// the seed's prompt (rolloutsPerExample prompts × 8 rollouts per step), completions of 150–850
// characters scored by libs/calibration, parsed from JSON as the API would hand them over.
import { readFileSync } from 'node:fs';

import { renderPrompt, scoreCompletion, type PromptTemplate } from '@brier/calibration';

import type { RolloutRow } from '../src/rollouts/rollout-row.js';
import { random } from '../test/rollout-fixtures.js';

const PER_EXAMPLE = 8;

const SENTENCES = [
  'The passage states this directly, so the evidence is fairly strong.',
  'However, the wording leaves some room for doubt about the exact claim.',
  'Since the question asks about a general fact, the passage supports it only indirectly.',
  'By analogy with similar cases, I would expect the answer to hold.',
  'The passage does not mention this explicitly, which lowers my confidence.',
];

export function makeSeedStream(steps = 50, batchSize = 1024): RolloutRow[][] {
  const root = new URL('../../../', import.meta.url);
  const template = JSON.parse(
    readFileSync(new URL('configs/prompts/boolq-passage-v1.json', root), 'utf8'),
  ) as PromptTemplate;
  const examples = readFileSync(new URL('data/boolq/val.jsonl', root), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (line) => JSON.parse(line) as { question: string; passage: string; label?: boolean; answer?: boolean },
    );
  const rand = random(42);
  const batches: RolloutRow[][] = [];
  for (let step = 0; step < steps; step++) {
    const rows: RolloutRow[] = [];
    for (let q = 0; q < batchSize / PER_EXAMPLE; q++) {
      const index = Math.floor(rand() * examples.length);
      const example = examples[index]!;
      const passage = example.passage.slice(example.passage.indexOf(' -- ') + 4);
      const prompt = renderPrompt(template, { passage, question: example.question });
      const truth = example.label ?? example.answer ?? false;
      for (let k = 0; k < PER_EXAMPLE; k++) {
        let reasoning = 'Reasoning:';
        const target = 150 + Math.floor(rand() * 700);
        while (reasoning.length < target) reasoning += ` ${SENTENCES[Math.floor(rand() * SENTENCES.length)]}`;
        const completion = `${reasoning}\nANSWER: ${rand() < 0.5 ? 'YES' : 'NO'} with ${Math.floor(rand() * 101)}% probability`;
        const s = scoreCompletion(completion, truth);
        rows.push({
          step,
          attempt: 1,
          sampleKey: `q${q}-val-${index}#${k}`,
          exampleId: `val-${index}`,
          prompt,
          label: truth ? 1 : 0,
          completion,
          answerText: s.answerText.slice(0, 500), // the seed kept the first 500 characters
          pYes: s.pYes,
          pYesExtracted: s.pYesExtracted,
          parseable: s.parseable,
          brier: s.brier,
          lengthPenalty: s.lengthPenalty,
          rewardTrainer: s.reward,
          rewardBrier: s.reward,
          completionChars: completion.length,
          completionTokens: null,
          approxTokens: s.approxTokens,
        });
      }
    }
    // As the API hands them over: parsed from JSON, so every string is flat (not a concatenation rope).
    batches.push(JSON.parse(JSON.stringify(rows)) as RolloutRow[]);
  }
  return batches;
}
