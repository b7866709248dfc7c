import { SEED_LENGTH_PENALTY } from '@brier/calibration';
import { describe, expect, it } from 'vitest';

import { LineParser, parseRolloutChunk } from './rollout-chunk.parser.js';
import { RolloutRecords, type RecordsOptions } from './rollout-records.js';

const completion = 'Reasoning: fine.\nANSWER: YES with 80% probability';
const prompts = ['Passage: "quoted" \\ back\\slash\nnew line é 😀 \u2028', 'Another passage', ''];

/** Each line's value by LineParser, or the message it throws. */
function parseAll(text: string): unknown[] {
  const buffer = Buffer.from(text);
  const parser = new LineParser(buffer);
  const out: unknown[] = [];
  for (let start = 0; start < buffer.length;) {
    let end = buffer.indexOf(0x0a, start);
    if (end === -1) end = buffer.length;
    try {
      out.push(parser.parse(start, end));
    } catch (error) {
      out.push((error as Error).message);
    }
    start = end + 1;
  }
  return out;
}

const reference = (text: string) =>
  text.split('\n').map((line) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (error) {
      return (error as Error).message;
    }
  });

describe('LineParser', () => {
  it('gives what JSON.parse gives, for a prompt repeated from the line before or not', () => {
    const lines: string[] = [];
    for (const prompt of prompts) {
      for (let k = 0; k < 3; k++) {
        lines.push(JSON.stringify({ full_prompt: prompt, completion: `${k}`, ground_truth: true }));
        lines.push(JSON.stringify({ prompt, sample_key: `k${k}` }));
      }
    }
    const p = JSON.stringify(prompts[0]);
    lines.push(
      `{"prompt":${p},"sample_key":"a"}`,
      `{"prompt":${p} , "sample_key":"spaces"}`,
      `{"prompt":${p},"x":1,"prompt":"the last wins"}`,
      `{"prompt":${p},}`, // invalid: a comma, then no key
      `{"prompt":${p},"x":1} trailing`, // invalid after the object
      `{"prompt":${p},"x":`, // cut off
      `{"prompt":${p},"nested":{"prompt":"inner"}}`,
      `{"prompt":${p}}`,
      `{"prompt":${p.slice(0, -1)}"}`, // the same bytes but one, so not the previous prompt
      ` {"prompt":${p},"lead":"space"}`,
    );
    const text = lines.join('\n');
    expect(parseAll(text)).toEqual(reference(text));
  });

  it('makes a chunk encode exactly as parsing each line whole does', () => {
    const options: RecordsOptions = {
      context: { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY },
      positional: { batchSize: 4 },
      maxErrors: 10,
    };
    const lines = Array.from({ length: 24 }, (_, i) =>
      i === 13
        ? `{"full_prompt":${JSON.stringify(prompts[i >> 3])},}`
        : JSON.stringify({
            full_prompt: prompts[i >> 3],
            full_completion: completion,
            ground_truth: i % 3 === 0,
          }),
    );
    const chunk = parseRolloutChunk({
      bytes: new Uint8Array(Buffer.from(lines.join('\n'))),
      firstLine: 1,
      firstRecord: 0,
      options,
    });
    const whole = new RolloutRecords(options);
    lines.forEach((line, i) => whole.addText(i + 1, line, i));
    expect(chunk).toEqual(whole.take());
    expect(chunk.errors.map((e) => e.line)).toEqual([14]);
  });
});
