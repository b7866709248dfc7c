// Public API of @brier/boolq: BoolQ from local files, balanced and sampled deterministically.
export { exampleId, type BoolQExample } from './example.js';
export { BoolQRecordError } from './record-error.js';
export { parseBoolQLine, parseBoolQRecord, type BoolQShape, type ParsedBoolQRecord } from './parse-record.js';
export {
  loadBoolQJsonl,
  readBoolQJsonl,
  type LoadOptions,
  type LoadResult,
  type MalformedLine,
} from './load-jsonl.js';
export { DATA_DIR_ENV, boolqDataDir, bundledValidationPath, loadBundledValidation } from './data-path.js';
export { MAX_SEED, assertSeed, seededShuffle } from './seeded-shuffle.js';
export { balance } from './balance.js';
export { sample } from './sample.js';
export { split, type SplitOptions, type SplitResult } from './split.js';
