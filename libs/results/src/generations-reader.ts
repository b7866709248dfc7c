import { labelOf, type ScoredRollout } from '@brier/calibration';
import { readLines, type ReadProgress } from './line-reader.js';
import type { MalformedLine } from './malformed-line.js';

/**
 * One line of a calibrated-qa generations.jsonl (the seed's keys, plus Brier's attribution keys
 * when the environment wrote them).
 */
export interface GenerationRecord extends ScoredRollout {
  line: number;
  /** Training step recorded by Brier's environment; null in the seed's files (position decides). */
  step: number | null;
  exampleId: string | null;
  fullPrompt?: string;
  fullCompletion?: string;
}

export interface ReadGenerationsOptions {
  /** Keep full_prompt and full_completion (costs memory: ~3 KB a rollout). */
  withText?: boolean;
  onProgress?: (progress: ReadProgress) => void;
  /** Called for each line that is not a record; without it the first such line throws. */
  onMalformed?: (malformed: MalformedLine) => void;
}

function numberField(record: Record<string, unknown>, key: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${key} must be a number`);
  return value;
}

function optionalNumber(record: Record<string, unknown>, key: string): number | null {
  return typeof record[key] === 'number' ? record[key] : null;
}

export function toGenerationRecord(
  record: Record<string, unknown>,
  line: number,
  withText = false,
): GenerationRecord {
  if (!('ground_truth' in record)) throw new Error('ground_truth is missing');
  const pYes = numberField(record, 'p_yes');
  if (pYes < 0 || pYes > 1) throw new Error(`p_yes must be within [0, 1] (got ${pYes})`);
  const parseable = record['parseable'];
  if (typeof parseable !== 'boolean') throw new Error('parseable must be a boolean');
  const result: GenerationRecord = {
    line,
    pYes,
    label: labelOf(record['ground_truth']),
    parseable,
    reward: numberField(record, 'reward'),
    brier: numberField(record, 'brier_score'),
    approxTokens: optionalNumber(record, 'approx_tokens'),
    lengthPenalty: optionalNumber(record, 'length_penalty'),
    step: optionalNumber(record, 'step'),
    exampleId: typeof record['example_id'] === 'string' ? record['example_id'] : null,
  };
  if (withText) {
    result.fullPrompt = typeof record['full_prompt'] === 'string' ? record['full_prompt'] : '';
    result.fullCompletion = typeof record['full_completion'] === 'string' ? record['full_completion'] : '';
  }
  return result;
}

/** Stream the records of a generations.jsonl or .jsonl.gz; malformed lines go to onMalformed. */
export async function* readGenerations(
  path: string,
  options: ReadGenerationsOptions = {},
): AsyncGenerator<GenerationRecord> {
  for await (const { number, text } of readLines(path, options.onProgress)) {
    if (text.trim() === '') continue;
    let record: GenerationRecord;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('not a JSON object');
      }
      record = toGenerationRecord(parsed as Record<string, unknown>, number, options.withText);
    } catch (error) {
      const malformed = { line: number, error: (error as Error).message };
      if (!options.onMalformed)
        throw new Error(`${path}:${malformed.line}: ${malformed.error}`, { cause: error });
      options.onMalformed(malformed);
      continue;
    }
    yield record;
  }
}
