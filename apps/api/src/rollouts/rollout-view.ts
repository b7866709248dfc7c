import { ROLLOUT_VIEW_COLUMNS, type RolloutView } from '@brier/contracts';
import type { StoredRollout } from '@brier/database';

/** A stored rollout with the wire's names (an exported line can be ingested again as it is). */
export function toRolloutView(row: StoredRollout): RolloutView {
  const view: RolloutView = {
    step: row.step,
    attempt: row.attempt,
    sample_key: row.sample_key,
    example_id: row.example_id,
    label: Number(row.label) as 0 | 1,
    p_yes: row.p_yes,
    p_yes_extracted: row.p_yes_extracted,
    parseable: row.parseable,
    brier_score: row.brier,
    length_penalty: row.length_penalty,
    reward: row.reward_trainer,
    reward_brier: row.reward_brier,
    approx_tokens: row.approx_tokens,
    completion_chars: row.completion_chars,
    completion_tokens: row.completion_tokens,
    parsed_answer: row.answer_text,
    completion: row.completion,
    created_at: row.created_at instanceof Date ? row.created_at.toISOString() : String(row.created_at),
  };
  if (row.prompt !== undefined) view.prompt = row.prompt;
  return view;
}

/** One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; null is empty. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** CSV columns of a rollouts export. */
export function rolloutCsvColumns(includePrompt: boolean): string[] {
  return [...ROLLOUT_VIEW_COLUMNS, ...(includePrompt ? ['prompt'] : [])];
}

export function rolloutCsvLine(view: RolloutView, columns: readonly string[]): string {
  return csvLine(columns.map((c) => (view as unknown as Record<string, unknown>)[c]));
}
