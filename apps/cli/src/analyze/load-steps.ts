import type { ScoredRollout } from '@brier/calibration';
import { readGenerations, readMetricsCsv, type MalformedLine } from '@brier/results';
import { statSync } from 'node:fs';
import { CliError } from '../cli-io.js';

export const SEED_BATCH_SIZE = 1024;

export interface LoadOptions {
  /** Rollouts per step; when set it overrides any step the file records (the seed's grouping). */
  batchSize?: number;
  maxSteps?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface LoadedSteps {
  steps: Map<number, ScoredRollout[]>;
  malformed: MalformedLine[];
  kind: 'generations' | 'metrics-csv';
  /** True when parseability was inferred (the seed's CSV records it as always 1). */
  parseInferred: boolean;
}

export function inputKind(path: string): LoadedSteps['kind'] {
  if (/\.jsonl(\.gz)?$/.test(path)) return 'generations';
  if (path.endsWith('.csv')) return 'metrics-csv';
  throw new CliError(`${path}: expected generations.jsonl, generations.jsonl.gz or calibration_metrics.csv`);
}

/**
 * Group the rollouts of a results file into training steps. Without a recorded step, each block
 * of batch-size lines is one step (prime-rl with max_async_level = 0 scores a step's rollouts
 * before the next step's).
 */
export async function loadSteps(path: string, options: LoadOptions): Promise<LoadedSteps> {
  const kind = inputKind(path);
  let totalBytes: number;
  try {
    totalBytes = statSync(path).size;
  } catch (error) {
    throw new CliError(
      `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  const steps = new Map<number, ScoredRollout[]>();
  const malformed: MalformedLine[] = [];
  const onMalformed = (m: MalformedLine) => malformed.push(m);
  const batchSize = options.batchSize ?? SEED_BATCH_SIZE;
  const rows =
    kind === 'generations'
      ? readGenerations(path, {
          onMalformed,
          onProgress: (p) => options.onProgress?.(p.bytesRead, totalBytes),
        })
      : readMetricsCsv(path, onMalformed);
  let position = 0;
  for await (const row of rows) {
    const recorded = 'step' in row ? row.step : null;
    const step =
      options.batchSize === undefined && recorded !== null ? recorded : Math.floor(position / batchSize);
    position++;
    if (options.maxSteps !== undefined && step >= options.maxSteps) continue;
    const bucket = steps.get(step);
    if (bucket) bucket.push(row);
    else steps.set(step, [row]);
  }
  return { steps, malformed, kind, parseInferred: kind === 'metrics-csv' };
}
