/**
 * Reading stored rollouts back (GET /v1/runs/{id}/rollouts and /samples): filters, keyset pages,
 * exports through a server-side cursor. Nothing here computes a metric (that is metrics.sql.ts).
 */

/** What a rollout filter may say; every field optional. */
export interface RolloutFilter {
  /** Inclusive step range. */
  stepFrom?: number;
  stepTo?: number;
  parseable?: boolean;
  label?: 0 | 1;
  /** Inclusive P(YES) range. */
  minPYes?: number;
  maxPYes?: number;
  /** Whether the answer was right with the seed's rule (p > 0.5 means YES). */
  correct?: boolean;
  exampleId?: string;
  /** 'latest' (default): each step's current attempt only; 'all'; or one attempt number. */
  attempt?: 'latest' | 'all' | number;
}

/** Position after which a keyset page starts: the last row of the previous page. */
export interface RolloutKey {
  step: number;
  attempt: number;
  sampleKey: string;
}

/** The columns a rollout is read with (aliases for the joined prompt). */
export const ROLLOUT_READ_COLUMNS = [
  'r.step',
  'r.attempt',
  'r.sample_key',
  'r.example_id',
  'r.label',
  'r.p_yes',
  'r.p_yes_extracted',
  'r.parseable',
  'r.brier',
  'r.length_penalty',
  'r.reward_trainer',
  'r.reward_brier',
  'r.approx_tokens',
  'r.completion_chars',
  'r.completion_tokens',
  'r.answer_text',
  'r.completion',
  'r.created_at',
] as const;

/** A step's current attempt: the highest attempt with rows for it (step_aggregates, one index probe). */
export const CURRENT_ATTEMPT_OF_ROW = `r.attempt = (
    SELECT max(a.attempt) FROM step_aggregates a WHERE a.run_id = r.run_id AND a.step = r.step
  )`;

/** Adds `value` to `params` and returns its placeholder. */
export type Param = (value: unknown) => string;

export function paramList(params: unknown[]): Param {
  return (value) => {
    params.push(value);
    return `$${params.length}`;
  };
}

/** WHERE conditions of a filter over `rollouts r`; the run id is always the first condition. */
export function rolloutConditions(runId: string, filter: RolloutFilter, param: Param): string[] {
  const where = [`r.run_id = ${param(runId)}::uuid`];
  if (filter.stepFrom !== undefined) where.push(`r.step >= ${param(filter.stepFrom)}::int`);
  if (filter.stepTo !== undefined) where.push(`r.step <= ${param(filter.stepTo)}::int`);
  const attempt = filter.attempt ?? 'latest';
  if (attempt === 'latest') where.push(CURRENT_ATTEMPT_OF_ROW);
  else if (attempt !== 'all') where.push(`r.attempt = ${param(attempt)}::int`);
  if (filter.parseable !== undefined) where.push(`r.parseable = ${param(filter.parseable)}::boolean`);
  if (filter.label !== undefined) where.push(`r.label = ${param(filter.label)}::smallint`);
  if (filter.minPYes !== undefined) where.push(`r.p_yes >= ${param(filter.minPYes)}::float8`);
  if (filter.maxPYes !== undefined) where.push(`r.p_yes <= ${param(filter.maxPYes)}::float8`);
  if (filter.correct !== undefined)
    where.push(`((r.p_yes > 0.5) = (r.label = 1)) = ${param(filter.correct)}::boolean`);
  if (filter.exampleId !== undefined) where.push(`r.example_id = ${param(filter.exampleId)}::text`);
  return where;
}

/**
 * Matching rollouts in (step, attempt, sample_key) order, the primary key's, so a page or an export
 * walks the index; `after` starts after a key (keyset pagination), `limit` caps the rows.
 */
export function rolloutSelectSql(
  runId: string,
  filter: RolloutFilter,
  options: { includePrompt: boolean; after?: RolloutKey; limit?: number },
  params: unknown[],
): string {
  const param = paramList(params);
  const where = rolloutConditions(runId, filter, param);
  if (options.after) {
    const { step, attempt, sampleKey } = options.after;
    where.push(
      `(r.step, r.attempt, r.sample_key) > (${param(step)}::int, ${param(attempt)}::int, ${param(sampleKey)}::text)`,
    );
  }
  const columns = [...ROLLOUT_READ_COLUMNS, ...(options.includePrompt ? ['p.text AS prompt'] : [])];
  const join = options.includePrompt ? 'LEFT JOIN prompts p ON p.id = r.prompt_id' : '';
  const limit = options.limit === undefined ? '' : `LIMIT ${param(options.limit)}::int`;
  return `SELECT ${columns.join(', ')}
  FROM rollouts r ${join}
  WHERE ${where.join('\n    AND ')}
  ORDER BY r.step, r.attempt, r.sample_key
  ${limit}`;
}

export const SAMPLE_FILTERS = ['random', 'parse_failures', 'confident_errors'] as const;
export type SampleFilter = (typeof SAMPLE_FILTERS)[number];

/**
 * n rollouts of one step's current attempt, with their prompts. $1 = run id, $2 = step, $3 = seed
 * (text), $4 = n.
 * - random: ordered by md5(seed:sample_key), the same sample for the same seed;
 * - parse_failures: unparseable answers, in the same seeded order;
 * - confident_errors: wrong answers (seed's rule) that parsed, most confident first
 *   (confidence max(p, 1 − p), p = 0.5 predicting NO).
 */
export function sampleSql(filter: SampleFilter): string {
  const condition =
    filter === 'parse_failures'
      ? 'AND r.parseable = false'
      : filter === 'confident_errors'
        ? 'AND r.parseable IS NOT FALSE AND (r.p_yes > 0.5) <> (r.label = 1) AND $3::text IS NOT NULL'
        : '';
  const order =
    filter === 'confident_errors'
      ? 'CASE WHEN r.p_yes > 0.5 THEN r.p_yes ELSE 1 - r.p_yes END DESC, r.sample_key'
      : `md5($3::text || ':' || r.sample_key), r.sample_key`;
  return `SELECT ${ROLLOUT_READ_COLUMNS.join(', ')}, p.text AS prompt
  FROM rollouts r
  LEFT JOIN prompts p ON p.id = r.prompt_id
  WHERE r.run_id = $1::uuid AND r.step = $2::int AND ${CURRENT_ATTEMPT_OF_ROW} ${condition}
  ORDER BY ${order}
  LIMIT $4::int`;
}

/** The latest step of a run that has rollouts. $1 = run id. */
export const LATEST_STEP = `SELECT max(step) AS step FROM step_aggregates WHERE run_id = $1::uuid`;
