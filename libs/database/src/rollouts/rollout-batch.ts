import { createHash } from 'node:crypto';

import { StepAggregateFold, type StepAggregateSums } from '../metrics/step-aggregate-fold.js';
import { CopyBinaryWriter } from './copy-binary.js';
import { validatePromptText, validateRolloutFields, type RolloutRow } from './rollout-row.js';

// What a worker thread needs besides the encoder (this module is also the package's light
// `@brier/database/rollout-batch` entry: no TypeORM, no pg).
export { isWellFormedText, RolloutBatchError, type RolloutRow } from './rollout-row.js';

/**
 * A validated batch of rollouts, encoded for the database: rows unique by natural key within the
 * batch (first occurrence wins) as binary COPY tuples, ready for RolloutIngestSession.write. Only
 * plain data and typed arrays, so that a worker thread can build it and transfer it (see
 * rolloutBatchTransferList). It belongs to no run yet: the session writes its run's id, and its
 * prompts' ids, into the slots left for them.
 */
export interface EncodedRolloutBatch {
  /** Rows received, duplicates included. */
  received: number;
  /** Rows encoded (unique by natural key within the batch). */
  rows: number;
  /** One tuple per row, columns ROLLOUT_COPY_COLUMNS. */
  tuples: Uint8Array;
  /** Byte offsets in `tuples` of the rows' run_id values (16 bytes each), to be filled in. */
  runIdSlots: Int32Array;
  /** The rows' sums by (step, attempt): what they add to step_aggregates when all are new. */
  aggregates: StepAggregateSums[];
  /** Byte offsets in `tuples` of the rows' prompt_id values, to be filled in once prompts have ids… */
  promptSlots: Int32Array;
  /** …and, for each slot, its prompt's index in promptHashes / promptTexts. */
  promptOfSlot: Int32Array;
  /** Distinct prompts of the batch: SHA-256 (hex) and text. */
  promptHashes: string[];
  promptTexts: string[];
  /** Distinct (step, attempt) pairs, flattened: step, attempt, step, attempt, … */
  pairs: number[];
}

/** Columns of the rollout tuples, in COPY order (every rollouts column but created_at). */
export const ROLLOUT_COPY_COLUMNS = [
  'run_id',
  'step',
  'attempt',
  'sample_key',
  'prompt_id',
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

/**
 * Encodes rows one at a time (a worker thread feeds it parsed lines): duplicates of a natural key
 * already added are dropped, each distinct prompt text is checked and hashed once.
 */
export class RolloutBatchEncoder {
  private readonly tuples: CopyBinaryWriter;
  private readonly fold = new StepAggregateFold();
  private readonly keys = new Set<string>();
  private readonly pairKeys = new Set<number>();
  private readonly pairs: number[] = [];
  private readonly runIdSlots: number[] = [];
  private readonly slots: number[] = [];
  private readonly slotPrompts: number[] = [];
  private readonly promptIndex = new Map<string, number>();
  private readonly promptHashes: string[] = [];
  private readonly promptTexts: string[] = [];
  /** Rollouts of one example arrive together: one string comparison finds a repeated prompt. */
  private lastPrompt: string | null = null;
  private lastPromptIndex = -1;
  private received = 0;

  constructor(expectedBytes = 1 << 16) {
    this.tuples = new CopyBinaryWriter(expectedBytes);
  }

  /** Rows added so far (duplicates and rejected rows included). */
  get count(): number {
    return this.received;
  }

  /** The encoded size so far, to bound a batch's memory. */
  get byteLength(): number {
    return this.tuples.byteLength;
  }

  /**
   * Add a row whose fields are valid (validateRolloutFields, or the API's wire parser). Throws
   * RolloutBatchError (naming `index`) when its prompt is not storable text; returns false when
   * its natural key was added before (the row is skipped).
   */
  add(row: RolloutRow, index: number): boolean {
    this.received += 1;
    const promptIndex = this.promptOf(row, index);
    const key = `${row.step}\u0000${row.attempt}\u0000${row.sampleKey}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    // Steps and attempts are < 2^31: one exact number names the pair.
    const pair = row.step * 2 ** 31 + row.attempt;
    if (!this.pairKeys.has(pair)) {
      this.pairKeys.add(pair);
      this.pairs.push(row.step, row.attempt);
    }

    const t = this.tuples;
    t.tuple(ROLLOUT_COPY_COLUMNS.length);
    this.runIdSlots.push(t.uuidSlot());
    t.int32(row.step);
    t.int32(row.attempt);
    t.text(row.sampleKey);
    if (promptIndex < 0) t.null();
    else {
      this.slots.push(t.int64Slot());
      this.slotPrompts.push(promptIndex);
    }
    t.text(row.exampleId);
    t.int16(row.label);
    t.text(row.completion);
    t.text(row.answerText);
    t.float64(row.pYes);
    t.float64(row.pYesExtracted);
    t.boolean(row.parseable);
    t.float64(row.brier);
    t.float64(row.lengthPenalty);
    t.float64(row.rewardTrainer);
    t.float64(row.rewardBrier);
    t.int32(row.completionChars);
    t.int32(row.completionTokens);
    t.float64(row.approxTokens);

    this.fold.add(row);
    return true;
  }

  finish(): EncodedRolloutBatch {
    return {
      received: this.received,
      rows: this.keys.size,
      tuples: this.tuples.take({ trim: true }),
      runIdSlots: Int32Array.from(this.runIdSlots),
      aggregates: this.fold.rows(),
      promptSlots: Int32Array.from(this.slots),
      promptOfSlot: Int32Array.from(this.slotPrompts),
      promptHashes: this.promptHashes,
      promptTexts: this.promptTexts,
      pairs: this.pairs,
    };
  }

  /** The prompt's index among the batch's distinct prompts (-1 without one), checked once per text. */
  private promptOf(row: RolloutRow, index: number): number {
    const prompt = row.prompt ?? null;
    if (prompt === null) return -1;
    if (prompt === this.lastPrompt) return this.lastPromptIndex;
    let found = this.promptIndex.get(prompt);
    if (found === undefined) {
      validatePromptText(row, index);
      found = this.promptHashes.length;
      this.promptIndex.set(prompt, found);
      this.promptHashes.push(promptSha256(prompt));
      this.promptTexts.push(prompt);
    }
    this.lastPrompt = prompt;
    this.lastPromptIndex = found;
    return found;
  }
}

/**
 * Validate every row (throwing RolloutBatchError, naming the first bad one, before anything touches
 * the database), drop repeated natural keys, and encode the rest.
 */
export function encodeRolloutBatch(rows: readonly RolloutRow[]): EncodedRolloutBatch {
  const input: unknown = rows; // callers may hand over parsed JSON
  if (!Array.isArray(input)) throw new TypeError('rollout rows must be an array');
  const encoder = new RolloutBatchEncoder(1024 + rows.length * 1024);
  rows.forEach((row, index) => {
    validateRolloutFields(row, index);
    encoder.add(row, index);
  });
  return encoder.finish();
}

/** The buffers to list in postMessage's transfer list (they are moved, not copied). */
export function rolloutBatchTransferList(batch: EncodedRolloutBatch): ArrayBuffer[] {
  const buffers = [batch.tuples.buffer, batch.runIdSlots.buffer];
  buffers.push(batch.promptSlots.buffer, batch.promptOfSlot.buffer);
  return [...new Set(buffers)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
