import { labelOf, type ScoredRollout } from '@brier/calibration';
import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import type { MalformedLine } from './malformed-line.js';

/** A row of the seed's calibration_metrics.csv: index,step,reward,brier_score,p_yes,ground_truth,parseable. */
export interface MetricsCsvRow extends ScoredRollout {
  line: number;
  index: number;
  step: number;
}

export const METRICS_CSV_COLUMNS = [
  'index',
  'step',
  'reward',
  'brier_score',
  'p_yes',
  'ground_truth',
  'parseable',
];

/**
 * The seed's parseable column is always 1 (it tested p_yes is not None, and unparseable rows carry
 * 0.5), so parseability is inferred: an unparseable row has p = 0.5, Brier = 0.25 and reward ≤ 0
 * (0 plus a penalty ≤ 0), while a parseable "50%" answer scores 0.75 plus its penalty. The two
 * overlap only for a 50% answer penalised by ≤ −0.75 (over ~1,945 characters).
 */
export function inferParseable(pYes: number, brier: number, reward: number): boolean {
  return !(pYes === 0.5 && brier === 0.25 && reward <= 0);
}

function toNumber(value: string | undefined, column: string): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n)) {
    throw new Error(`${column} must be a number (got ${JSON.stringify(value ?? null)})`);
  }
  return n;
}

export function toMetricsCsvRow(cells: Record<string, string>, line: number): MetricsCsvRow {
  const pYes = toNumber(cells['p_yes'], 'p_yes');
  if (pYes < 0 || pYes > 1) throw new Error(`p_yes must be within [0, 1] (got ${pYes})`);
  const brier = toNumber(cells['brier_score'], 'brier_score');
  const reward = toNumber(cells['reward'], 'reward');
  const groundTruth = cells['ground_truth'];
  if (groundTruth === undefined || groundTruth === '') throw new Error('ground_truth is missing');
  const parseable = inferParseable(pYes, brier, reward);
  return {
    line,
    index: toNumber(cells['index'], 'index'),
    step: toNumber(cells['step'], 'step'),
    pYes,
    label: labelOf(groundTruth),
    parseable,
    reward,
    brier,
    approxTokens: null,
    lengthPenalty: reward - (parseable ? 1 - brier : 0),
  };
}

/** Stream the rows of a calibration_metrics.csv; malformed rows go to onMalformed (or throw). */
export async function* readMetricsCsv(
  path: string,
  onMalformed?: (malformed: MalformedLine) => void,
): AsyncGenerator<MetricsCsvRow> {
  const parser = createReadStream(path).pipe(
    parse({ columns: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  );
  let headerChecked = false;
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    if (!headerChecked) {
      const missing = METRICS_CSV_COLUMNS.filter((c) => !(c in record));
      if (missing.length > 0) throw new Error(`${path}: missing columns ${missing.join(', ')}`);
      headerChecked = true;
    }
    try {
      yield toMetricsCsvRow(record, info.lines);
    } catch (error) {
      const malformed = { line: info.lines, error: (error as Error).message };
      if (!onMalformed) throw new Error(`${path}:${malformed.line}: ${malformed.error}`, { cause: error });
      onMalformed(malformed);
    }
  }
}
