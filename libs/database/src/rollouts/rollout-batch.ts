import { createHash } from 'node:crypto';

import { copyBoolean, copyByteaHex, copyNumber, copyText } from './copy-text.js';
import { validatePromptText, validateRolloutFields, type RolloutRow } from './rollout-row.js';

/** A validated batch: rows unique by natural key (first occurrence wins) and their distinct prompts. */
export interface PreparedRolloutBatch {
  /** Rows received, duplicates included. */
  received: number;
  rows: RolloutRow[];
  /** SHA-256 (hex) of each row's prompt, aligned with rows; null without a prompt. */
  promptHashes: (string | null)[];
  /** Distinct prompts of the batch by SHA-256 (hex). */
  prompts: Map<string, string>;
}

/** Columns of the COPY staging table, in COPY order. */
export const STAGE_COLUMNS = [
  'step',
  'attempt',
  'sample_key',
  'prompt_sha256',
  'example_id',
  'label',
  'completion',
  'answer_text',
  'p_yes',
  'p_yes_extracted',
  'parseable',
  'brier',
  'length_penalty',
  'reward_trainer',
  'reward_brier',
  'completion_chars',
  'completion_tokens',
  'approx_tokens',
] as const;

export function promptSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Validate every row (throwing RolloutBatchError before anything touches the database) and dedupe. */
export function prepareRolloutBatch(rows: readonly RolloutRow[]): PreparedRolloutBatch {
  const input: unknown = rows; // callers may hand over parsed JSON
  if (!Array.isArray(input)) throw new TypeError('rollout rows must be an array');
  const seen = new Set<string>();
  const unique: RolloutRow[] = [];
  const promptHashes: (string | null)[] = [];
  const prompts = new Map<string, string>();
  const hashOf = new Map<string, string>();
  rows.forEach((row, index) => {
    validateRolloutFields(row, index);
    // A prompt repeats for every rollout of its example: check and hash each distinct text once.
    const prompt = row.prompt ?? null;
    let hash: string | null = null;
    if (prompt !== null) {
      hash = hashOf.get(prompt) ?? null;
      if (hash === null) {
        validatePromptText(row, index);
        hash = promptSha256(prompt);
        hashOf.set(prompt, hash);
      }
    }
    const key = `${row.step}\u0000${row.attempt}\u0000${row.sampleKey}`;
    if (seen.has(key)) return;
    seen.add(key);
    unique.push(row);
    promptHashes.push(hash);
    if (hash !== null) prompts.set(hash, prompt!);
  });
  return { received: rows.length, rows: unique, promptHashes, prompts };
}

function copyLine(row: RolloutRow, promptHash: string | null): string {
  return [
    String(row.step),
    String(row.attempt),
    copyText(row.sampleKey),
    copyByteaHex(promptHash),
    copyText(row.exampleId),
    String(row.label),
    copyText(row.completion),
    copyText(row.answerText),
    copyNumber(row.pYes),
    copyNumber(row.pYesExtracted),
    copyBoolean(row.parseable),
    copyNumber(row.brier),
    copyNumber(row.lengthPenalty),
    copyNumber(row.rewardTrainer),
    copyNumber(row.rewardBrier),
    copyNumber(row.completionChars),
    copyNumber(row.completionTokens),
    copyNumber(row.approxTokens),
  ].join('\t');
}

/** The batch as COPY text-format data, in chunks of `rowsPerChunk` lines. */
export function* copyChunks(batch: PreparedRolloutBatch, rowsPerChunk = 256): Generator<string> {
  for (let start = 0; start < batch.rows.length; start += rowsPerChunk) {
    const end = Math.min(start + rowsPerChunk, batch.rows.length);
    let chunk = '';
    for (let i = start; i < end; i++) chunk += `${copyLine(batch.rows[i]!, batch.promptHashes[i]!)}\n`;
    yield chunk;
  }
}
