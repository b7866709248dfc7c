/**
 * The rollout wire format: what an agent (or a script) sends to `POST /v1/runs/{id}/rollouts`, one
 * JSON object per line (NDJSON), and what `GET /v1/runs/{id}/rollouts` gives back. Keys are
 * snake_case and match the seed's generations.jsonl where they overlap (seed-spec §4), so a
 * calibrated-qa record plus `step` and `sample_key` is a valid line.
 */

/** Paths of the rollout, metric and import routes, for clients and tests. */
export const ROLLOUT_API = {
  ingest: (runId: string) => `/v1/runs/${runId}/rollouts`,
  rollouts: (runId: string) => `/v1/runs/${runId}/rollouts`,
  samples: (runId: string) => `/v1/runs/${runId}/samples`,
  ensembles: (runId: string) => `/v1/runs/${runId}/ensembles`,
  metrics: (runId: string) => `/v1/runs/${runId}/metrics`,
  metricsCsv: (runId: string) => `/v1/runs/${runId}/metrics.csv`,
  stepMetrics: (runId: string, step: number) => `/v1/runs/${runId}/steps/${step}/metrics`,
  reliability: (runId: string) => `/v1/runs/${runId}/reliability`,
  compare: () => '/v1/compare',
  imports: () => '/v1/imports',
} as const;

/** Content types the ingestion route takes: NDJSON (one rollout per line), or a JSON array. */
export const NDJSON_CONTENT_TYPES = [
  'application/x-ndjson',
  'application/jsonl',
  'application/ndjson',
] as const;

/** Header naming the batch: the idempotency key of the whole body (a replay is a no-op). */
export const BATCH_ID_HEADER = 'Batch-Id';
export const BATCH_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Header with the agent's lease token: the write is fenced to the running attempt (409 if stale). */
export const LEASE_TOKEN_HEADER = 'Lease-Token';

export const ROLLOUT_WIRE_LIMITS = {
  /** Characters of sample_key and example_id. */
  keyMaxLength: 512,
  stepMax: 2_147_483_647,
  /** Malformed lines listed in one 400 answer (the count says how many there were). */
  reportedLineErrors: 100,
} as const;

/**
 * One rollout on the wire. Required: step, sample_key, a label (ground_truth or label) and either
 * a completion (then the API scores it) or p_yes and brier_score.
 */
export interface RolloutWire {
  /** Training step (0-based). */
  step: number;
  /**
   * The run attempt that generated it. Default: the lease's attempt when a Lease-Token is sent
   * (any other value is a 409), else the run's current attempt (0 for a run never claimed).
   */
  attempt?: number;
  /** Natural key within (step, attempt): `<example_id>#<k>`, or the source file's row index. */
  sample_key: string;
  example_id?: string | null;
  /** The prompt text (stored once per distinct text). `full_prompt` (the seed's key) is accepted too. */
  prompt?: string | null;
  full_prompt?: string | null;
  /**
   * The completion as scored: the assistant messages' contents, concatenated. `full_completion`
   * (the seed's `"[assistant] <content>\n"` transcript) is accepted instead and unwrapped.
   */
  completion?: string | null;
  full_completion?: string | null;
  /** The seed's label rule: str(ground_truth).lower() == "true". */
  ground_truth?: boolean | string;
  /** 1 when YES is right; an alternative to ground_truth (they must agree when both are sent). */
  label?: 0 | 1;
  /** P(YES) as the trainer scored it, 0.5 when unparseable. Default: the API's own score. */
  p_yes?: number;
  p_yes_extracted?: number | null;
  parseable?: boolean | null;
  /** (p − label)². Default: the API's own score. */
  brier_score?: number;
  /** ≤ 0, the seed's bucket penalty. Default: the API's own score. */
  length_penalty?: number | null;
  /** Reward as the environment / trainer computed it (penalty included). */
  reward?: number | null;
  /** Characters / 4. Default: the API's own measure. */
  approx_tokens?: number | null;
  completion_chars?: number | null;
  completion_tokens?: number | null;
  /** The text the parser read (the seed keeps its first 500 characters). */
  parsed_answer?: string | null;
}

/** Every key a line may have. */
export const ROLLOUT_WIRE_KEYS = [
  'step',
  'attempt',
  'sample_key',
  'example_id',
  'prompt',
  'full_prompt',
  'completion',
  'full_completion',
  'ground_truth',
  'label',
  'p_yes',
  'p_yes_extracted',
  'parseable',
  'brier_score',
  'length_penalty',
  'reward',
  'approx_tokens',
  'completion_chars',
  'completion_tokens',
  'parsed_answer',
] as const satisfies readonly (keyof RolloutWire)[];

/**
 * Keys accepted and ignored: the calibrated-qa environment's attribution keys, and what
 * GET /v1/runs/{id}/rollouts adds, so an export can be sent back as it is.
 */
export const ROLLOUT_IGNORED_KEYS = [
  'index',
  'pid',
  'ts',
  'prompt_template',
  'reward_brier',
  'created_at',
] as const;

/** The answer to an ingestion: rows new to the database, rows already stored (or repeated). */
export interface IngestRolloutsResponse {
  inserted: number;
  skipped: number;
  /** The Batch-Id was stored before: nothing was written (skipped = the lines received). */
  duplicateBatch: boolean;
}

/** A stored rollout as GET /v1/runs/{id}/rollouts and /samples give it (a valid wire line too). */
export interface RolloutView {
  step: number;
  attempt: number;
  sample_key: string;
  example_id: string | null;
  label: 0 | 1;
  p_yes: number;
  p_yes_extracted: number | null;
  parseable: boolean | null;
  brier_score: number;
  length_penalty: number | null;
  /** The trainer's reward. */
  reward: number | null;
  /** Brier's recomputation (libs/calibration), when the completion was stored. */
  reward_brier: number | null;
  approx_tokens: number | null;
  completion_chars: number | null;
  completion_tokens: number | null;
  parsed_answer: string | null;
  completion: string | null;
  /** Only with include=prompt (and always in samples). */
  prompt?: string | null;
  created_at: string;
}

/** Column order of the rollouts CSV export (prompt last, when included). */
export const ROLLOUT_VIEW_COLUMNS = [
  'step',
  'attempt',
  'sample_key',
  'example_id',
  'label',
  'p_yes',
  'p_yes_extracted',
  'parseable',
  'brier_score',
  'length_penalty',
  'reward',
  'reward_brier',
  'approx_tokens',
  'completion_chars',
  'completion_tokens',
  'parsed_answer',
  'completion',
  'created_at',
] as const satisfies readonly (keyof RolloutView)[];
