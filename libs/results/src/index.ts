export { readLines, type Line, type ReadProgress } from './line-reader.js';
export type { MalformedLine } from './malformed-line.js';
export {
  readGenerations,
  toGenerationRecord,
  type GenerationRecord,
  type ReadGenerationsOptions,
} from './generations-reader.js';
export {
  inferParseable,
  METRICS_CSV_COLUMNS,
  readMetricsCsv,
  toMetricsCsvRow,
  type MetricsCsvRow,
} from './metrics-csv-reader.js';
