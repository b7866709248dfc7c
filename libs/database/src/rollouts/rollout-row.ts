/**
 * One scored rollout as an agent or an importer hands it to RolloutIngestRepository. The natural key
 * is (step, attempt, sampleKey) within a run; everything a source may lack is optional (null).
 */
export interface RolloutRow {
  step: number;
  /** The run attempt that generated it (0 for imports). */
  attempt: number;
  /** Natural key within a step: `<example_id>#<k>`, or the source file's row index. */
  sampleKey: string;
  /** 1 when YES is the right answer. */
  label: 0 | 1;
  /** P(YES) as scored; 0.5 when unparseable. */
  pYes: number;
  /** (p − label)² with p = 0.5 when unparseable. */
  brier: number;
  /** The full prompt; stored once in prompts, referenced by hash. */
  prompt?: string | null;
  exampleId?: string | null;
  completion?: string | null;
  answerText?: string | null;
  pYesExtracted?: number | null;
  parseable?: boolean | null;
  lengthPenalty?: number | null;
  /** Reward as the environment / trainer computed it. */
  rewardTrainer?: number | null;
  /** Reward as libs/calibration recomputed it. */
  rewardBrier?: number | null;
  completionChars?: number | null;
  completionTokens?: number | null;
  approxTokens?: number | null;
}

/** A batch that cannot be ingested as given; nothing was written. */
export class RolloutBatchError extends Error {
  constructor(
    readonly rowIndex: number,
    readonly field: string,
    problem: string,
  ) {
    super(`rollout rows[${rowIndex}].${field} ${problem}`);
    this.name = 'RolloutBatchError';
  }
}

const INT32_MAX = 2_147_483_647;

type Check = (row: RolloutRow, index: number) => void;

function present(value: unknown): boolean {
  return value !== null && value !== undefined;
}

function keyInteger(field: 'step' | 'attempt'): Check {
  return (row, index) => {
    const value = row[field] as unknown;
    if (!present(value)) throw new RolloutBatchError(index, field, 'is missing (part of the natural key)');
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > INT32_MAX) {
      throw new RolloutBatchError(
        index,
        field,
        `must be an integer in [0, ${INT32_MAX}] (got ${String(value)})`,
      );
    }
  };
}

function probability(field: 'pYes' | 'brier' | 'pYesExtracted', required: boolean): Check {
  return (row, index) => {
    const value = row[field] as unknown;
    if (!present(value)) {
      if (required) throw new RolloutBatchError(index, field, 'is missing');
      return;
    }
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new RolloutBatchError(index, field, `must be a number in [0, 1] (got ${String(value)})`);
    }
  };
}

function optionalNumber(field: 'lengthPenalty' | 'rewardTrainer' | 'rewardBrier' | 'approxTokens'): Check {
  return (row, index) => {
    const value = row[field] as unknown;
    if (present(value) && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new RolloutBatchError(index, field, `must be a finite number or null (got ${String(value)})`);
    }
  };
}

function optionalInteger(field: 'completionChars' | 'completionTokens'): Check {
  return (row, index) => {
    const value = row[field] as unknown;
    if (
      present(value) &&
      (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > INT32_MAX)
    ) {
      throw new RolloutBatchError(
        index,
        field,
        `must be a non-negative integer or null (got ${String(value)})`,
      );
    }
  };
}

/** Text Postgres can store exactly: no NUL, no lone UTF-16 surrogate (it would not round-trip). */
function optionalText(field: 'prompt' | 'exampleId' | 'completion' | 'answerText'): Check {
  return (row, index) => {
    const value = row[field] as unknown;
    if (!present(value)) return;
    if (typeof value !== 'string') throw new RolloutBatchError(index, field, 'must be a string or null');
    checkText(value, index, field);
  };
}

/** Node ≥ 20 has String.prototype.isWellFormed (ES2024; the project's lib is ES2023). */
type WellFormed = string & { isWellFormed(): boolean };

/** No lone UTF-16 surrogate: a native scan, O(1) for strings V8 holds as one byte per character. */
export function isWellFormedText(value: string): boolean {
  return (value as WellFormed).isWellFormed();
}

function checkText(value: string, index: number, field: string): void {
  if (value.includes('\0')) throw new RolloutBatchError(index, field, 'contains a NUL character');
  if (!isWellFormedText(value)) throw new RolloutBatchError(index, field, 'contains a lone UTF-16 surrogate');
}

const CHECKS: Check[] = [
  keyInteger('step'),
  keyInteger('attempt'),
  (row, index) => {
    const value = row.sampleKey as unknown;
    if (!present(value) || value === '') {
      throw new RolloutBatchError(index, 'sampleKey', 'is missing (part of the natural key)');
    }
    if (typeof value !== 'string') throw new RolloutBatchError(index, 'sampleKey', 'must be a string');
    checkText(value, index, 'sampleKey');
  },
  (row, index) => {
    const value = row.label as unknown;
    if (value !== 0 && value !== 1) {
      throw new RolloutBatchError(index, 'label', `must be 0 or 1 (got ${String(value)})`);
    }
  },
  probability('pYes', true),
  probability('brier', true),
  probability('pYesExtracted', false),
  (row, index) => {
    const value = row.parseable as unknown;
    if (present(value) && typeof value !== 'boolean') {
      throw new RolloutBatchError(index, 'parseable', 'must be a boolean or null');
    }
  },
  optionalNumber('lengthPenalty'),
  optionalNumber('rewardTrainer'),
  optionalNumber('rewardBrier'),
  optionalNumber('approxTokens'),
  optionalInteger('completionChars'),
  optionalInteger('completionTokens'),
  optionalText('exampleId'),
  optionalText('completion'),
  optionalText('answerText'),
];

/** Every field but the prompt (RolloutBatchEncoder checks each distinct prompt text once). */
export function validateRolloutFields(row: RolloutRow, index: number): void {
  if (typeof row !== 'object' || row === null)
    throw new RolloutBatchError(index, '(row)', 'is not an object');
  for (const check of CHECKS) check(row, index);
}

export const validatePromptText = optionalText('prompt');

/** Throws RolloutBatchError naming the first bad field of the row. */
export function validateRolloutRow(row: RolloutRow, index: number): void {
  validateRolloutFields(row, index);
  validatePromptText(row, index);
}
