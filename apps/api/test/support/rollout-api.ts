import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { scoreCompletion, type ScoredRollout } from '@brier/calibration';
import { RunRepository, type RolloutRow, type RunEntity } from '@brier/database';
import pg from 'pg';

import type { TestApi } from './test-api.js';

export { makeCheapRows, makeRows, toScored } from '../../../../libs/database/test/rollout-fixtures.js';
export {
  expectReliabilityEqual,
  expectStepMetricsEqual,
  groupByStep,
  METRIC_KEYS,
} from '../../../../libs/database/test/metrics-assertions.js';

/**
 * The fixture rows with one label per example (makeRows draws a label per rollout), scored again:
 * what real rollouts of a question look like, for per-question ensembles.
 */
export function withExampleLabels(rows: readonly RolloutRow[]): RolloutRow[] {
  const labels = new Map<string, 0 | 1>();
  return rows.map((row) => {
    const label = labels.get(row.exampleId!) ?? row.label;
    labels.set(row.exampleId!, label);
    if (label === row.label) return row;
    const score = scoreCompletion(row.completion!, label === 1);
    return {
      ...row,
      label,
      pYes: score.pYes,
      pYesExtracted: score.pYesExtracted,
      parseable: score.parseable,
      brier: score.brier,
      lengthPenalty: score.lengthPenalty,
      rewardTrainer: score.reward,
      rewardBrier: score.reward,
      answerText: score.answerText,
      approxTokens: score.approxTokens,
    };
  });
}

/** A fixture row as an agent sends it on the wire. */
export function toWire(row: RolloutRow, options: { attempt?: boolean } = {}): Record<string, unknown> {
  return {
    step: row.step,
    ...(options.attempt === false ? {} : { attempt: row.attempt }),
    sample_key: row.sampleKey,
    example_id: row.exampleId ?? null,
    prompt: row.prompt ?? null,
    completion: row.completion ?? null,
    ground_truth: row.label === 1,
    p_yes: row.pYes,
    p_yes_extracted: row.pYesExtracted ?? null,
    parseable: row.parseable ?? null,
    brier_score: row.brier,
    length_penalty: row.lengthPenalty ?? null,
    reward: row.rewardTrainer ?? null,
    approx_tokens: row.approxTokens ?? null,
    completion_chars: row.completionChars ?? null,
    completion_tokens: row.completionTokens ?? null,
    parsed_answer: row.answerText ?? null,
  };
}

export function ndjson(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export interface PostOptions {
  batchId?: string | null;
  leaseToken?: string;
  contentType?: string;
  gzip?: boolean;
  /** The caller's Authorization header (default: the test API's admin). */
  auth?: Record<string, string>;
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

async function answer<T>(response: Response): Promise<Answer<T>> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

/** POST /v1/runs/{id}/rollouts with an NDJSON (or given) body. */
export async function postRollouts<T = Record<string, unknown>>(
  api: TestApi,
  runId: string,
  body: string | Buffer,
  options: PostOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {
    ...(options.auth ?? api.authHeaders),
    'content-type': options.contentType ?? 'application/x-ndjson',
  };
  if (options.batchId !== null) headers['batch-id'] = options.batchId ?? `b-${randomUUID()}`;
  if (options.leaseToken) headers['lease-token'] = options.leaseToken;
  let payload: string | Buffer = body;
  if (options.gzip) {
    payload = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  const response = await fetch(`${api.url}/v1/runs/${runId}/rollouts`, {
    method: 'POST',
    headers,
    body: payload,
    signal: AbortSignal.timeout(60_000),
  });
  return answer<T>(response);
}

export async function get<T = unknown>(api: TestApi, path: string): Promise<Answer<T>> {
  const response = await fetch(`${api.url}${path}`, {
    headers: api.authHeaders,
    signal: AbortSignal.timeout(60_000),
  });
  return answer<T>(response);
}

/** One statement on the test database, through a client of its own. */
export async function sql<T extends Record<string, unknown> = Record<string, unknown>>(
  api: TestApi,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: api.db.url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export async function createRun(
  api: TestApi,
  kind: 'train' | 'eval' | 'import' = 'train',
  spec: unknown = {},
): Promise<RunEntity> {
  const { run } = await api.app
    .get(RunRepository)
    .create({ kind, name: `rollouts test ${kind}`, spec, specVersion: 1 });
  return run;
}

/** What an agent's claim does to the run, written directly: running, attempt n, a fresh lease. */
export async function leaseRun(api: TestApi, runId: string, attempt: number): Promise<string> {
  const leaseToken = randomUUID();
  await sql(
    api,
    `UPDATE runs SET status = 'running', attempt = $2, lease_token = $3, heartbeat_at = now() WHERE id = $1`,
    [runId, attempt, leaseToken],
  );
  return leaseToken;
}

export async function countRollouts(api: TestApi, runId: string): Promise<number> {
  const [row] = await sql<{ n: string }>(api, 'SELECT count(*) AS n FROM rollouts WHERE run_id = $1', [
    runId,
  ]);
  return Number(row!.n);
}

export type { ScoredRollout };
