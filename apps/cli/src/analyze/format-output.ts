import { STEP_METRIC_COLUMNS as STEP_COLUMNS } from '@brier/calibration';

import type { StepRow } from './step-rows.js';

export const OUTPUT_FORMATS = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

function cell(row: StepRow, column: (typeof STEP_COLUMNS)[number]): number | null {
  return row[column];
}

/** CSV with full precision; an unknown value (e.g. mean_length from the seed's CSV) is empty. */
export function toCsv(rows: readonly StepRow[]): string {
  const lines = [STEP_COLUMNS.join(',')];
  for (const row of rows) lines.push(STEP_COLUMNS.map((c) => String(cell(row, c) ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

/** One object per step: the table's columns first, then the extra measures. */
export function toJson(rows: readonly StepRow[]): string {
  const ordered = rows.map((row) => {
    const out: Record<string, number | null> = {};
    for (const c of STEP_COLUMNS) out[c] = cell(row, c);
    return { ...out, ...row };
  });
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function formatCell(column: string, value: number | null): string {
  if (value === null) return '-';
  if (column === 'step' || column === 'n') return String(value);
  return value.toFixed(column === 'mean_length' ? 1 : 4);
}

/** An aligned text table for the terminal. */
export function toTable(rows: readonly StepRow[]): string {
  const body = rows.map((row) => STEP_COLUMNS.map((c) => formatCell(c, cell(row, c))));
  const widths = STEP_COLUMNS.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return `${[line(STEP_COLUMNS), ...body.map(line)].join('\n')}\n`;
}

export function formatRows(rows: readonly StepRow[], format: OutputFormat): string {
  if (format === 'csv') return toCsv(rows);
  if (format === 'json') return toJson(rows);
  return toTable(rows);
}
