/**
 * Every SQL statement that computes a metric, in one module so that a change to a metric shows in
 * review. The definitions are libs/calibration's (docs/metrics.md), and the integration tests hold
 * both the aggregate path and the raw-rollout path to libs/calibration's summarizeRollouts and
 * reliabilityBins on the seed's 51,200 rows.
 *
 * Conventions
 * - Bins: brier_bin(p) (created by the initial migration) = the largest k in 0..9 with k/10 <= p,
 *   exactly libs/calibration's binIndex. Top-label confidence = p if p > 0.5 else 1 - p (p = 0.5
 *   predicts NO); correct = (p > 0.5) = (label = 1).
 * - The current attempt of a step is the highest attempt that has rows for it: after a resume, a
 *   regenerated step supersedes the older attempt's rows as soon as the new attempt's first rows land.
 * - A metric whose input some rows lack (reward, parseable, length) is NULL, as in summarizeRollouts.
 */

const BINS = Array.from({ length: 10 }, (_, k) => k);

/** `ARRAY[e(0), …, e(9)]`: one aggregate per bin, so the whole fold is a single GROUP BY pass. */
const perBin = (expression: (k: number) => string): string =>
  `ARRAY[\n      ${BINS.map(expression).join(',\n      ')}\n    ]`;

/** Columns a fold source must have (rollouts' names). */
export const FOLD_SOURCE_COLUMNS = [
  'run_id',
  'step',
  'attempt',
  'p_yes',
  'label',
  'parseable',
  'reward_trainer',
  'reward_brier',
  'brier',
  'approx_tokens',
  'length_penalty',
] as const;

export const STEP_AGGREGATE_COLUMNS = [
  'run_id',
  'step',
  'attempt',
  'n',
  'n_parseable',
  'n_parse_known',
  'sum_reward',
  'n_reward',
  'sum_reward_brier',
  'n_reward_brier',
  'sum_brier',
  'sum_approx_tokens',
  'n_length',
  'n_penalized',
  'n_penalty_known',
  'n_correct',
  'bin_n',
  'bin_sum_p',
  'bin_sum_label',
  'top_bin_n',
  'top_bin_sum_conf',
  'top_bin_sum_correct',
] as const;

const SUMMED_COUNTS = STEP_AGGREGATE_COLUMNS.filter(
  (c) => c !== 'run_id' && c !== 'step' && c !== 'attempt' && !c.includes('bin_'),
);
const SUMMED_ARRAYS = STEP_AGGREGATE_COLUMNS.filter((c) => c.includes('bin_'));

/**
 * Fold rollout rows into step_aggregates rows: one per (run, step, attempt) of `source`, which is a
 * relation name or a parenthesised subquery with FOLD_SOURCE_COLUMNS.
 */
export function foldRolloutsSql(source: string): string {
  return `SELECT run_id, step, attempt,
    count(*)::int,
    count(*) FILTER (WHERE parseable)::int,
    count(parseable)::int,
    coalesce(sum(reward_trainer), 0),
    count(reward_trainer)::int,
    coalesce(sum(reward_brier), 0),
    count(reward_brier)::int,
    sum(brier),
    coalesce(sum(approx_tokens), 0),
    count(approx_tokens)::int,
    count(*) FILTER (WHERE length_penalty < 0)::int,
    count(length_penalty)::int,
    sum(correct)::int,
    ${perBin((k) => `count(*) FILTER (WHERE pos_bin = ${k})::int`)},
    ${perBin((k) => `coalesce(sum(p_yes) FILTER (WHERE pos_bin = ${k}), 0)`)},
    ${perBin((k) => `coalesce(sum(label) FILTER (WHERE pos_bin = ${k}), 0)::int`)},
    ${perBin((k) => `count(*) FILTER (WHERE top_bin = ${k})::int`)},
    ${perBin((k) => `coalesce(sum(conf) FILTER (WHERE top_bin = ${k}), 0)`)},
    ${perBin((k) => `coalesce(sum(correct) FILTER (WHERE top_bin = ${k}), 0)::int`)}
  FROM (
    SELECT f.*, brier_bin(f.p_yes) AS pos_bin, brier_bin(f.conf) AS top_bin
    FROM (
      SELECT ${FOLD_SOURCE_COLUMNS.join(', ')},
        CASE WHEN p_yes > 0.5 THEN p_yes ELSE 1 - p_yes END AS conf,
        ((p_yes > 0.5) = (label = 1))::int AS correct
      FROM ${source}
      OFFSET 0
    ) f
    OFFSET 0 -- a fence: without it the planner inlines brier_bin into each of the 60 FILTERs
  ) binned
  GROUP BY run_id, step, attempt
  ORDER BY run_id, step, attempt`;
}

/**
 * Add folded rows into step_aggregates: counts and sums added, bin arrays added element-wise.
 * Rows are ordered by key so that concurrent ingests lock aggregate rows in the same order.
 */
export function upsertStepAggregatesSql(foldSql: string): string {
  return `INSERT INTO step_aggregates (${STEP_AGGREGATE_COLUMNS.join(', ')})
  ${foldSql}
  ON CONFLICT (run_id, step, attempt) DO UPDATE SET
    ${SUMMED_COUNTS.map((c) => `${c} = step_aggregates.${c} + EXCLUDED.${c}`).join(',\n    ')},
    ${SUMMED_ARRAYS.map((c) => `${c} = brier_array_add(step_aggregates.${c}, EXCLUDED.${c})`).join(',\n    ')},
    updated_at = now()`;
}

/** Rebuild one run's aggregates from its rollouts ($1 = run id); run after deleting them. */
export const REBUILD_STEP_AGGREGATES = upsertStepAggregatesSql(
  foldRolloutsSql(`(SELECT ${FOLD_SOURCE_COLUMNS.join(', ')} FROM rollouts WHERE run_id = $1) AS source`),
);

export const DELETE_STEP_AGGREGATES = `DELETE FROM step_aggregates WHERE run_id = $1`;

// ---------------------------------------------------------------------------------------------
// Views (recreated by runMigrations whenever their text changes; see metric-views.ts). The
// repository runs the same text filtered by run, so a view and the API can never disagree.

/** The current (latest) attempt's aggregates of every step. */
export const CURRENT_STEP_AGGREGATES_VIEW = `SELECT DISTINCT ON (run_id, step) *
  FROM step_aggregates
  ORDER BY run_id, step, attempt DESC`;

/** Rollouts of each step's current attempt (the ones the metrics count). */
export const CURRENT_ROLLOUTS_VIEW = `SELECT r.*
  FROM rollouts r
  WHERE r.attempt = (SELECT max(x.attempt) FROM rollouts x WHERE x.run_id = r.run_id AND x.step = r.step)`;

/** prime-rl's own per-step numbers, latest attempt of each step. */
const CURRENT_ORCHESTRATOR_STEP = `LEFT JOIN LATERAL (
    SELECT o.reward, o.seq_len
    FROM orchestrator_steps o
    WHERE o.run_id = a.run_id AND o.step = a.step
    ORDER BY o.attempt DESC
    LIMIT 1
  ) o ON true`;

/** Per-step metrics from the aggregates only (no rollouts scan). Σ (n_b/N)·|obs_b − mean_b| over non-empty bins. */
export const STEP_METRICS_VIEW = `SELECT a.run_id, a.step, a.attempt, a.n,
    CASE WHEN a.n_parse_known = a.n THEN a.n_parseable::float8 / a.n END AS parse_rate,
    CASE WHEN a.n_reward = a.n THEN a.sum_reward / a.n END AS reward,
    CASE WHEN a.n_reward_brier = a.n THEN a.sum_reward_brier / a.n END AS reward_brier,
    a.sum_brier / a.n AS brier,
    pos.ece,
    top.ece AS ece_top_label,
    pos.mce,
    a.n_correct::float8 / a.n AS accuracy,
    CASE WHEN a.n_length = a.n THEN a.sum_approx_tokens / a.n END AS mean_length,
    CASE WHEN a.n_penalty_known = a.n THEN a.n_penalized::float8 / a.n END AS penalized_share,
    o.reward AS orchestrator_reward,
    o.seq_len AS orchestrator_seq_len
  FROM (${CURRENT_STEP_AGGREGATES_VIEW}) a
  CROSS JOIN LATERAL (
    SELECT coalesce(sum((c::float8 / a.n) * abs(sl::float8 / c - sp / c)), 0) AS ece,
           coalesce(max(abs(sl::float8 / c - sp / c)), 0) AS mce
    FROM unnest(a.bin_n, a.bin_sum_p, a.bin_sum_label) AS b(c, sp, sl)
    WHERE c > 0
  ) pos
  CROSS JOIN LATERAL (
    SELECT coalesce(sum((c::float8 / a.n) * abs(sl::float8 / c - sp / c)), 0) AS ece
    FROM unnest(a.top_bin_n, a.top_bin_sum_conf, a.top_bin_sum_correct) AS b(c, sp, sl)
    WHERE c > 0
  ) top
  ${CURRENT_ORCHESTRATOR_STEP}`;

/** One row per (run, current step, positive-class bin): the reliability diagram's raw material. */
export const STEP_RELIABILITY_BINS_VIEW = `SELECT a.run_id, a.step, a.attempt, (b.k - 1)::int AS bin,
    (b.k - 1)::float8 / 10 AS lo,
    b.k::float8 / 10 AS hi,
    (2 * b.k - 1)::float8 / 20 AS center,
    b.c AS count,
    b.sp AS sum_p,
    b.sl AS sum_label
  FROM (${CURRENT_STEP_AGGREGATES_VIEW}) a
  CROSS JOIN LATERAL unnest(a.bin_n, a.bin_sum_p, a.bin_sum_label) WITH ORDINALITY AS b(c, sp, sl, k)`;

/** Researcher-facing views, in dependency order. */
export const METRIC_VIEWS: readonly { name: string; sql: string; comment: string }[] = [
  {
    name: 'current_step_aggregates',
    sql: CURRENT_STEP_AGGREGATES_VIEW,
    comment: 'step_aggregates of the current (highest) attempt of each step',
  },
  {
    name: 'current_rollouts',
    sql: CURRENT_ROLLOUTS_VIEW,
    comment: 'rollouts of the current (highest) attempt of each step: the rows metrics count',
  },
  {
    name: 'step_metrics',
    sql: STEP_METRICS_VIEW,
    comment: "per-step metrics from step_aggregates (libs/calibration's definitions)",
  },
  {
    name: 'step_reliability_bins',
    sql: STEP_RELIABILITY_BINS_VIEW,
    comment: '10 positive-class bins per current step: count, sum_p, sum_label',
  },
];

// ---------------------------------------------------------------------------------------------
// Repository queries.

/** $1 = run id. */
export const STEP_METRICS_BY_RUN = `SELECT * FROM (${STEP_METRICS_VIEW}) m WHERE m.run_id = $1 ORDER BY m.step`;

/**
 * Reliability bins pooled over groups of steps: group g holds steps [g·size, (g+1)·size).
 * $1 = run id, $2 = group size.
 */
export const RELIABILITY_BY_RUN = `WITH cur AS (
    SELECT * FROM (${CURRENT_STEP_AGGREGATES_VIEW}) a WHERE a.run_id = $1
  ),
  groups AS (
    SELECT step / $2::int AS grp, count(*)::int AS steps, sum(n)::int AS n FROM cur GROUP BY 1
  ),
  bins AS (
    SELECT cur.step / $2::int AS grp, (b.k - 1)::int AS bin,
      sum(b.c)::int AS count, sum(b.sp) AS sum_p, sum(b.sl)::int AS sum_label
    FROM cur
    CROSS JOIN LATERAL unnest(cur.bin_n, cur.bin_sum_p, cur.bin_sum_label) WITH ORDINALITY AS b(c, sp, sl, k)
    GROUP BY 1, 2
  )
  SELECT g.grp AS "group", g.steps, g.n, b.bin, b.count,
    CASE WHEN b.count > 0 THEN b.sum_p / b.count END AS mean_p,
    CASE WHEN b.count > 0 THEN b.sum_label::float8 / b.count END AS observed
  FROM groups g
  JOIN bins b USING (grp)
  ORDER BY g.grp, b.bin`;

/**
 * The same per-step metrics straight from raw rollouts, computed independently of the aggregates
 * (GROUP BY bin instead of per-bin arrays): to verify them and to audit a rebuild. $1 = run id;
 * with `atStep`, $2 = the one step to compute (GET /v1/runs/{id}/steps/{step}/metrics?source=rollouts).
 */
export function stepMetricsFromRolloutsSql(atStep: boolean): string {
  const latestStep = atStep ? ' AND step = $2' : '';
  const curStep = atStep ? ' AND r.step = $2' : '';
  return `WITH latest AS (
    SELECT step, max(attempt) AS attempt FROM rollouts WHERE run_id = $1${latestStep} GROUP BY step
  ),
  cur AS (
    SELECT r.run_id, r.step, r.attempt, r.p_yes, r.label::float8 AS label, r.parseable, r.reward_trainer,
      r.reward_brier, r.brier, r.approx_tokens, r.length_penalty,
      CASE WHEN r.p_yes > 0.5 THEN r.p_yes ELSE 1 - r.p_yes END AS conf,
      ((r.p_yes > 0.5) = (r.label = 1))::int::float8 AS correct
    FROM rollouts r
    JOIN latest l ON l.step = r.step AND l.attempt = r.attempt
    WHERE r.run_id = $1${curStep}
  ),
  per_step AS (
    SELECT run_id, step, attempt, count(*)::int AS n,
      CASE WHEN count(parseable) = count(*) THEN (count(*) FILTER (WHERE parseable))::float8 / count(*) END
        AS parse_rate,
      CASE WHEN count(reward_trainer) = count(*) THEN avg(reward_trainer) END AS reward,
      CASE WHEN count(reward_brier) = count(*) THEN avg(reward_brier) END AS reward_brier,
      avg(brier) AS brier,
      avg(correct) AS accuracy,
      CASE WHEN count(approx_tokens) = count(*) THEN avg(approx_tokens) END AS mean_length,
      CASE WHEN count(length_penalty) = count(*) THEN (count(*) FILTER (WHERE length_penalty < 0))::float8 / count(*) END
        AS penalized_share
    FROM cur
    GROUP BY run_id, step, attempt
  ),
  pos AS (
    SELECT step, count(*) AS c, abs(avg(label) - avg(p_yes)) AS gap FROM cur GROUP BY step, brier_bin(p_yes)
  ),
  top AS (
    SELECT step, count(*) AS c, abs(avg(correct) - avg(conf)) AS gap FROM cur GROUP BY step, brier_bin(conf)
  ),
  pos_err AS (SELECT step, sum(c * gap) AS weighted, max(gap) AS mce FROM pos GROUP BY step),
  top_err AS (SELECT step, sum(c * gap) AS weighted FROM top GROUP BY step)
  SELECT s.run_id, s.step, s.attempt, s.n, s.parse_rate, s.reward, s.reward_brier, s.brier,
    pe.weighted / s.n AS ece,
    te.weighted / s.n AS ece_top_label,
    pe.mce,
    s.accuracy, s.mean_length, s.penalized_share,
    o.reward AS orchestrator_reward,
    o.seq_len AS orchestrator_seq_len
  FROM per_step s
  JOIN pos_err pe USING (step)
  JOIN top_err te USING (step)
  LEFT JOIN LATERAL (
    SELECT o.reward, o.seq_len
    FROM orchestrator_steps o
    WHERE o.run_id = s.run_id AND o.step = s.step
    ORDER BY o.attempt DESC
    LIMIT 1
  ) o ON true
  ORDER BY s.step`;
}

/** Every step of a run from raw rollouts. $1 = run id. */
export const STEP_METRICS_FROM_ROLLOUTS = stepMetricsFromRolloutsSql(false);

// ---------------------------------------------------------------------------------------------
// Queries of the API's metric reads beyond a run's whole table (apps/api/src/metrics): one step,
// runs compared step by step, per-question ensembles.

/** One step of a run from the aggregates. $1 = run id, $2 = step. */
export const STEP_METRICS_AT_STEP = `SELECT * FROM (${STEP_METRICS_VIEW}) m WHERE m.run_id = $1 AND m.step = $2`;

/** One step of a run from raw rollouts. $1 = run id, $2 = step. */
export const STEP_METRICS_FROM_ROLLOUTS_AT_STEP = stepMetricsFromRolloutsSql(true);

/** The step_metrics columns a comparison can be made on (GET /v1/compare?metric=…). */
export const COMPARABLE_STEP_METRICS = [
  'n',
  'parse_rate',
  'reward',
  'reward_brier',
  'brier',
  'ece',
  'ece_top_label',
  'mce',
  'accuracy',
  'mean_length',
  'penalized_share',
  'orchestrator_reward',
  'orchestrator_seq_len',
] as const;
export type ComparableStepMetric = (typeof COMPARABLE_STEP_METRICS)[number];

/**
 * One metric of several runs, step by step, from the aggregates. $1 = run ids (uuid[]). The metric
 * is one of COMPARABLE_STEP_METRICS (a column name: never a user string).
 */
export function compareStepMetricSql(metric: ComparableStepMetric): string {
  if (!(COMPARABLE_STEP_METRICS as readonly string[]).includes(metric)) {
    throw new RangeError(`not a comparable step metric: ${String(metric)}`);
  }
  return `SELECT m.run_id, m.step, m.${metric}::float8 AS value
  FROM (${STEP_METRICS_VIEW}) m
  WHERE m.run_id = ANY($1::uuid[])
  ORDER BY m.step, m.run_id`;
}

/**
 * Per-question ensembles over a range of steps: a question is its example id (or, without one,
 * its prompt), and its ensemble forecast is the mean P(YES) over its rollouts of the current
 * attempt of each step in [$2, $3]. $1 = run id. Rows without example id or prompt are left out
 * (counted as `unidentified` by ENSEMBLE_SUMMARY).
 */
const ENSEMBLE_QUESTIONS_CTE = `latest AS (
    SELECT step, max(attempt) AS attempt
    FROM step_aggregates
    WHERE run_id = $1 AND step BETWEEN $2 AND $3
    GROUP BY step
  ),
  cur AS (
    SELECT coalesce(r.example_id, 'prompt:' || r.prompt_id::text) AS question, r.p_yes, r.label
    FROM rollouts r
    JOIN latest l ON l.step = r.step AND l.attempt = r.attempt
    WHERE r.run_id = $1 AND r.step BETWEEN $2 AND $3
  ),
  questions AS (
    SELECT question, count(*)::int AS n, avg(p_yes) AS mean_p, max(label)::int AS label,
      (min(label) <> max(label)) AS mixed_labels
    FROM cur
    WHERE question IS NOT NULL
    GROUP BY question
  )`;

/**
 * The ensembles themselves, by question (keyset pagination: $4 = after this question, '' for the
 * first page; $5 = page size). Brier of the ensemble forecast, and its positive-class bin.
 */
export const ENSEMBLE_QUESTIONS = `WITH ${ENSEMBLE_QUESTIONS_CTE}
  SELECT question, n, mean_p, label, mixed_labels, (mean_p - label) ^ 2 AS brier, brier_bin(mean_p) AS bin
  FROM questions
  WHERE question COLLATE "C" > $4::text COLLATE "C"
  ORDER BY question COLLATE "C"
  LIMIT $5`;

/**
 * The ensemble's calibration over all its questions: Brier = mean (mean_p − label)², ECE = the
 * seed's positive-class ECE (10 bins by brier_bin) of the ensemble forecasts, accuracy with the
 * seed's rule (p = 0.5 counts as NO). $1–$3 as ENSEMBLE_QUESTIONS.
 */
export const ENSEMBLE_SUMMARY = `WITH ${ENSEMBLE_QUESTIONS_CTE},
  bins AS (
    SELECT brier_bin(mean_p) AS bin, count(*) AS c, avg(label::float8) AS observed, avg(mean_p) AS mean_p
    FROM questions
    GROUP BY 1
  )
  SELECT
    (SELECT count(*) FROM questions)::int AS questions,
    (SELECT coalesce(sum(n), 0) FROM questions)::int AS rollouts,
    (SELECT count(*) FROM cur WHERE question IS NULL)::int AS unidentified,
    (SELECT count(*) FROM questions WHERE mixed_labels)::int AS mixed_label_questions,
    (SELECT count(*) FROM latest)::int AS steps,
    (SELECT avg((mean_p - label) ^ 2) FROM questions) AS brier,
    (SELECT sum((c::float8 / (SELECT count(*) FROM questions)) * abs(observed - mean_p)) FROM bins) AS ece,
    (SELECT max(abs(observed - mean_p)) FROM bins) AS mce,
    (SELECT avg(((mean_p > 0.5) = (label = 1))::int::float8) FROM questions) AS accuracy`;
