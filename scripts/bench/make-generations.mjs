// Writes a seed-sized generations.jsonl (50 steps × 1,024 rollouts, ~150 MB) for benchmarks:
// real BoolQ passages in the seed's prompt, synthetic completions scored by libs/calibration.
import { renderPrompt, scoreCompletion } from '@brier/calibration';
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';

import { mulberry32 } from '../lib/mulberry32.mjs';

export const SEED_SHAPE = { steps: 50, batchSize: 1024, rolloutsPerExample: 8 };

const SENTENCES = [
  'The passage states this directly, so the evidence is fairly strong.',
  'However, the wording leaves some room for doubt about the exact claim.',
  'Since the question asks about a general fact, the passage supports it only indirectly.',
  'By analogy with similar cases, I would expect the answer to hold.',
  'The passage does not mention this explicitly, which lowers my confidence.',
];

export async function makeGenerations(path, { steps, batchSize, rolloutsPerExample } = SEED_SHAPE) {
  const root = new URL('../../', import.meta.url);
  const template = JSON.parse(readFileSync(new URL('configs/prompts/boolq-passage-v1.json', root), 'utf8'));
  const examples = readFileSync(new URL('data/boolq/val.jsonl', root), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const rand = mulberry32(42); // seeded: the file is the same on every machine
  const out = createWriteStream(path);
  for (let step = 0; step < steps; step++) {
    for (let q = 0; q < batchSize / rolloutsPerExample; q++) {
      const example = examples[Math.floor(rand() * examples.length)];
      const passage = example.passage.slice(example.passage.indexOf(' -- ') + 4);
      const prompt = renderPrompt(template, { passage, question: example.question });
      for (let k = 0; k < rolloutsPerExample; k++) {
        let reasoning = 'Reasoning:';
        const target = 150 + Math.floor(rand() * 700);
        while (reasoning.length < target) reasoning += ` ${SENTENCES[Math.floor(rand() * SENTENCES.length)]}`;
        const completion = `${reasoning}\nANSWER: ${rand() < 0.5 ? 'YES' : 'NO'} with ${Math.floor(rand() * 101)}% probability`;
        const s = scoreCompletion(completion, example.label);
        const record = {
          full_prompt: `[user] ${prompt}\n`,
          ground_truth: example.label,
          p_yes: s.pYes,
          p_yes_extracted: s.pYesExtracted,
          parseable: s.parseable,
          brier_score: s.brier,
          reward: s.reward,
          length_penalty: s.lengthPenalty,
          approx_tokens: s.approxTokens,
          parsed_answer: s.answerText.slice(0, 500),
          full_completion: `[assistant] ${completion}\n`,
        };
        if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
      }
    }
  }
  out.end();
  await once(out, 'finish');
}
