import type { DataSource } from 'typeorm';

/** One parsed `SUCCESS Step N | …` line of prime-rl's orchestrator log. */
export interface OrchestratorStepInput {
  step: number;
  timeS?: number | null;
  reward?: number | null;
  seqLen?: number | null;
  asyncLevel?: number | null;
  offPolicyLevel?: number | null;
  filteredCount?: number | null;
  filteredTotal?: number | null;
  filtered?: Record<string, number> | null;
}

export class OrchestratorStepRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Upsert steps of one attempt (a re-read log line replaces the stored one). Returns rows written. */
  async record(runId: string, attempt: number, steps: readonly OrchestratorStepInput[]): Promise<number> {
    if (steps.length === 0) return 0;
    const rows = await this.dataSource.query<unknown[]>(
      `INSERT INTO orchestrator_steps (run_id, attempt, step, time_s, reward, seq_len, async_level, off_policy_level,
                                       filtered_count, filtered_total, filtered)
       SELECT $1, $2, u.step, u.time_s, u.reward, u.seq_len, u.async_level, u.off_policy_level,
              u.filtered_count, u.filtered_total, u.filtered::jsonb
       FROM unnest($3::int[], $4::float8[], $5::float8[], $6::float8[], $7::int[], $8::int[], $9::int[], $10::int[],
                   $11::text[])
         AS u(step, time_s, reward, seq_len, async_level, off_policy_level, filtered_count, filtered_total, filtered)
       ON CONFLICT (run_id, attempt, step) DO UPDATE SET
         time_s = EXCLUDED.time_s, reward = EXCLUDED.reward, seq_len = EXCLUDED.seq_len,
         async_level = EXCLUDED.async_level, off_policy_level = EXCLUDED.off_policy_level,
         filtered_count = EXCLUDED.filtered_count, filtered_total = EXCLUDED.filtered_total,
         filtered = EXCLUDED.filtered, logged_at = now()
       RETURNING 1`,
      [
        runId,
        attempt,
        steps.map((s) => s.step),
        steps.map((s) => s.timeS ?? null),
        steps.map((s) => s.reward ?? null),
        steps.map((s) => s.seqLen ?? null),
        steps.map((s) => s.asyncLevel ?? null),
        steps.map((s) => s.offPolicyLevel ?? null),
        steps.map((s) => s.filteredCount ?? null),
        steps.map((s) => s.filteredTotal ?? null),
        steps.map((s) => (s.filtered ? JSON.stringify(s.filtered) : null)),
      ],
    );
    return rows.length;
  }
}
