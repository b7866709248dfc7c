import type { RolloutWire } from '@brier/contracts';

import { ApiRejectedError, type ApiError } from '../api-client/api-errors.js';
import { SampledEventReporter, type RunEventReport } from './sampled-event-reporter.js';

/** The 1-based body lines a 400 of the ingestion route names (its `lines`, else the field paths). */
export function rejectedLinesOf(error: ApiRejectedError): Set<number> {
  const lines = new Set<number>();
  if (error.status !== 400) return lines;
  const listed = (error.body as { lines?: unknown } | null | undefined)?.lines;
  if (Array.isArray(listed)) {
    for (const line of listed) if (Number.isInteger(line) && (line as number) > 0) lines.add(line as number);
    return lines;
  }
  for (const { path } of error.fieldMessages) {
    const match = /^lines\[(\d+)\]/.exec(path);
    if (match) lines.add(Number(match[1]));
  }
  return lines;
}

interface RejectionOptions {
  emit: (event: RunEventReport) => void;
  summaryIntervalMs?: number;
}

/**
 * Rollouts the API refused: a bug on the agent's side (the shipper checks lines before sending),
 * so each refusal is reported — the lines it named one by one, then in summaries — and a refused
 * batch is kept on disk for a person to look at.
 */
export class RolloutRejections {
  private readonly lines: SampledEventReporter;
  private readonly batches: SampledEventReporter;

  constructor(options: RejectionOptions) {
    this.lines = new SampledEventReporter({
      type: 'rollout-rejected',
      what: 'rollout(s) refused by the API',
      ...options,
    });
    this.batches = new SampledEventReporter({
      type: 'rollout-batch-rejected',
      what: 'rollout batch(es) refused by the API',
      ...options,
    });
  }

  lineRejected(wire: RolloutWire, error: ApiRejectedError, line: number): void {
    const problems = error.fieldMessages
      .filter((m) => m.path === `lines[${line}]` || m.path.startsWith(`lines[${line}].`))
      .map((m) => m.message);
    this.lines.report(
      `the API refused rollout ${wire.sample_key} (step ${wire.step}): ${problems.join('; ') || error.message}`,
      { sampleKey: wire.sample_key, step: wire.step, problems: problems.slice(0, 20) },
    );
  }

  batchRejected(batchId: string, rollouts: number, error: ApiError, keptAt: string | null): void {
    this.batches.report(
      `the API refused rollout batch ${batchId} (${rollouts} rollouts): ${error.message}` +
        (keptAt === null ? '' : `; kept at ${keptAt}`),
      {
        batchId,
        rollouts,
        status: error.status,
        ...(error instanceof ApiRejectedError ? { problems: error.fieldMessages.slice(0, 20) } : {}),
        keptAt,
      },
    );
  }

  summarize(): void {
    this.lines.summarize();
    this.batches.summarize();
  }
}
