import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { SPEC_VERSION } from '@brier/contracts';
import {
  ImportRunRepository,
  OrchestratorStepRepository,
  RolloutIngestRepository,
  RunRepository,
  type OrchestratorStepInput,
  type RunEntity,
} from '@brier/database';
import {
  describeResults,
  readMetricsCsv,
  readOrchestratorLog,
  ResultsSetError,
  type RecognisedResultFile,
  type ResultsDescription,
  type StepLogEntry,
} from '@brier/results';
import { Injectable, Logger } from '@nestjs/common';

import { apiError } from '../http/api-error.js';
import { toRunDto, type RunDto } from '../runs/dto/run.dto.js';
import { lineErrorsException } from '../rollouts/rollout-ingest.service.js';
import { RolloutLoader, type LoadSummary } from '../rollouts/rollout-loader.js';
import { RolloutParsePool } from '../rollouts/rollout-parse-pool.js';
import { IngestSlots } from '../rollouts/rollout-slots.js';
import { parseImportFields, readSpecOf, type ImportReadSpec } from './import-fields.js';
import { generationsRecordsOptions, type RolloutPrefetch } from './rollout-prefetch.js';
import type { UploadedFile } from './upload-storage.js';

export { IMPORT_FIELDS } from './import-fields.js';

/** The import run's refresh interval of its own heartbeat (the reaper allows 3 agent intervals). */
const HEARTBEAT_EVERY_MS = 2_000;

export interface ImportSummary {
  /** The file the rollouts came from (null when only an orchestrator log was given). */
  rolloutSource: string | null;
  /** Files read, and files given but not read (with why). */
  files: string[];
  ignored: { name: string; reason: string }[];
  rollouts: number;
  /** Steps that have rollouts. */
  steps: number;
  /** Rows past max_steps, left out. */
  beyondMaxSteps: number;
  /** Bytes of the rollout file parsed while it was still uploading (the rest was parsed after). */
  parsedDuringUpload: number;
  orchestratorSteps: number;
  /** Wall seconds of reading and storing (the upload itself excluded). */
  seconds: number;
}

export type ImportResultView = RunDto & { import: ImportSummary };

class ImportCancelledError extends Error {}

class ImportLinesError extends Error {
  constructor(
    readonly summary: LoadSummary,
    readonly file: string,
  ) {
    super(`${summary.errorLines} of ${summary.received} line(s) of ${file} are invalid`);
  }
}

/**
 * POST /v1/imports: a results directory's files (already spooled to disk by the upload) become an
 * `import` run. The run is created as running, its rollouts are stored in one transaction
 * (chunks of the ingestion route's size; step = the recorded step or position // batch_size,
 * sample_key = the record's position in the file), prime-rl's per-step lines are recorded, and
 * the run ends succeeded, or failed with the error (a malformed line stores no rollouts).
 */
@Injectable()
export class ImportService {
  private readonly logger = new Logger('Imports');

  constructor(
    private readonly runs: RunRepository,
    private readonly importRuns: ImportRunRepository,
    private readonly ingest: RolloutIngestRepository,
    private readonly orchestrator: OrchestratorStepRepository,
    private readonly slots: IngestSlots,
    private readonly pool: RolloutParsePool,
  ) {}

  /**
   * `prefetch`: the rollout file parsed during its upload (RolloutPrefetch), taken when the request
   * reads that file the way the prefetch assumed; dropped otherwise.
   */
  async import(
    files: readonly UploadedFile[],
    fields: Record<string, unknown>,
    prefetch?: RolloutPrefetch,
  ): Promise<ImportResultView> {
    const request = parseImportFields(fields);
    let description: ResultsDescription;
    try {
      description = describeResults(files.map((file) => ({ name: file.originalname, path: file.path })));
    } catch (error) {
      if (!(error instanceof ResultsSetError)) throw error;
      throw apiError(400, error.message, { code: error.code, given: files.map((f) => f.originalname) });
    }
    const spec = readSpecOf(request);
    const started = performance.now();
    const ahead =
      prefetch !== undefined &&
      description.rolloutSource?.path === prefetch.path &&
      prefetch.spec.batchSize === spec.batchSize &&
      prefetch.spec.maxSteps === spec.maxSteps
        ? prefetch
        : null;
    if (ahead === null) prefetch?.cancel();
    // Read the (small) log before anything is created: a file that cannot be read fails the request alone.
    const log = description.orchestratorLog
      ? await readOrchestratorLog(description.orchestratorLog.path)
      : null;
    const orchestratorSteps = (log?.steps ?? [])
      .filter((s) => spec.maxSteps === undefined || s.step < spec.maxSteps)
      .map(toOrchestratorStep);

    const { run: created } = await this.runs.create({
      kind: 'import',
      name: request.name,
      spec: request.spec,
      specVersion: SPEC_VERSION,
      gpuCount: 0,
      maxSteps: spec.maxSteps ?? null,
      createdBy: 'api',
    });
    const running = await this.runs.transition(created.id, {
      from: ['queued'],
      to: 'running',
      actor: 'api',
      reason: `import of ${description.files.map((f) => f.name).join(', ')}`,
    });
    if (!running) throw new Error(`import run ${created.id} left queued before its import began`);

    try {
      const loaded = description.rolloutSource
        ? await this.slots.run(() => this.loadRollouts(created.id, description.rolloutSource!, spec, ahead))
        : { rollouts: 0, steps: new Set<number>(), beyondMaxSteps: 0 };
      await this.orchestrator.record(created.id, 0, orchestratorSteps);
      const lastStep = Math.max(-1, ...loaded.steps, ...orchestratorSteps.map((s) => s.step));
      const summary: ImportSummary = {
        rolloutSource: description.rolloutSource?.name ?? null,
        files: description.files.map((f) => f.name),
        ignored: description.ignored.map((f) => ({ name: f.name, reason: f.reason })),
        rollouts: loaded.rollouts,
        steps: loaded.steps.size,
        beyondMaxSteps: loaded.beyondMaxSteps,
        parsedDuringUpload: ahead?.parsedBytes ?? 0,
        orchestratorSteps: orchestratorSteps.length,
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      };
      const done = await this.runs.transition(created.id, {
        from: ['running'],
        to: 'succeeded',
        actor: 'api',
        reason: `imported ${summary.rollouts} rollouts in ${summary.steps} steps, ${summary.orchestratorSteps} orchestrator steps`,
        set: { exitCode: 0, ...(lastStep >= 0 ? { progressStep: lastStep } : {}) },
        data: summary,
      });
      if (!done) throw new ImportCancelledError();
      this.logger.log(
        `import ${created.id}: ${summary.rollouts} rollouts, ${summary.steps} steps in ${summary.seconds} s`,
      );
      return { ...toRunDto(done), import: summary };
    } catch (error) {
      throw await this.fail(created.id, error);
    }
  }

  /**
   * Stream the rollout file into one ingest session (its lines parsed by the parse workers while
   * earlier chunks are written); throws ImportLinesError when a line is bad.
   */
  private async loadRollouts(
    runId: string,
    source: RecognisedResultFile,
    spec: ImportReadSpec,
    ahead: RolloutPrefetch | null,
  ): Promise<{ rollouts: number; steps: Set<number>; beyondMaxSteps: number }> {
    const session = await this.ingest.open(runId, `import-${runId}`);
    if (!session) throw new Error(`import batch of run ${runId} exists already`);
    let lastBeat = Date.now();
    const beat = async (): Promise<void> => {
      if (Date.now() - lastBeat < HEARTBEAT_EVERY_MS) return;
      lastBeat = Date.now();
      const heartbeat = await this.importRuns.heartbeat(runId);
      if (!heartbeat || heartbeat.cancelRequested) throw new ImportCancelledError();
    };
    try {
      const { context, positional } = generationsRecordsOptions(spec, 0);
      // A results file's lines are as long as they are (the upload caps bound the file).
      const loader = new RolloutLoader(session, this.pool, {
        context,
        ...(positional ? { positional } : {}),
        maxLineBytes: Number.MAX_SAFE_INTEGER,
      });
      if (source.kind === 'generations') {
        let from = 0;
        if (ahead !== null) {
          await loader.adopt(ahead);
          from = ahead.rest?.offset ?? -1;
        }
        if (from >= 0) {
          for await (const chunk of fileBytes(source, from)) {
            await loader.addBytes(chunk);
            await beat();
          }
        }
      } else {
        const rows = readMetricsCsv(source.path, (malformed) =>
          loader.reject(malformed.line, '', malformed.error),
        );
        let position = 0;
        for await (const row of rows) {
          if ((position++ & 1023) === 0) await beat();
          if (!loader.keepStep(row.step)) continue;
          await loader.add(row.line, {
            step: row.step,
            attempt: 0,
            sample_key: String(row.index),
            label: row.label,
            p_yes: row.pYes,
            brier_score: row.brier,
            reward: row.reward,
            parseable: row.parseable,
            length_penalty: row.lengthPenalty,
          });
        }
      }
      const summary = await loader.finish();
      if (summary.errorLines > 0) throw new ImportLinesError(summary, source.name);
      await beat();
      const result = await session.commit();
      return {
        rollouts: result.inserted + result.skipped,
        steps: summary.steps,
        beyondMaxSteps: summary.beyondMaxSteps,
      };
    } finally {
      await session.rollback();
    }
  }

  /** Mark the run failed (or cancelled) and turn the error into the answer. */
  private async fail(runId: string, error: unknown): Promise<unknown> {
    const cancelled = error instanceof ImportCancelledError;
    const message = cancelled
      ? 'the import was cancelled'
      : error instanceof ImportLinesError
        ? `${error.message}; nothing was stored`
        : `import failed: ${(error as Error).message ?? String(error)}`;
    const run: RunEntity | null = await this.runs
      .transition(runId, {
        from: ['running'],
        to: cancelled ? 'cancelled' : 'failed',
        actor: 'api',
        reason: message,
        set: {
          error: {
            message,
            retryable: false,
            ...(error instanceof ImportLinesError
              ? {
                  file: error.file,
                  lines: error.summary.errors.slice(0, 20),
                  errorLines: error.summary.errorLines,
                }
              : {}),
          },
        },
      })
      .catch(() => null);
    const current = run ?? (await this.runs.findById(runId).catch(() => null));
    const details = { runId, ...(current ? { run: toRunDto(current) } : {}) };
    if (error instanceof ImportLinesError) return lineErrorsException(error.summary, error.file, details);
    if (cancelled) return apiError(409, `import run ${runId} was cancelled while importing`, details);
    this.logger.error(`import ${runId} failed: ${(error as Error).stack ?? String(error)}`);
    return error;
  }
}

/** A results file's bytes from `from` on (of the decompressed bytes: only 0 for a .gz file). */
function fileBytes(file: RecognisedResultFile, from = 0): AsyncIterable<Buffer> {
  if (file.compressed && from > 0) throw new RangeError('a compressed file is read from its start');
  const raw = createReadStream(file.path, { highWaterMark: 1 << 20, start: from });
  if (!file.compressed) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip) as Readable;
}

function toOrchestratorStep(entry: StepLogEntry): OrchestratorStepInput {
  return {
    step: entry.step,
    timeS: entry.timeSeconds,
    reward: entry.reward,
    seqLen: entry.format === 'classic' ? entry.seqLength : null,
    asyncLevel: entry.format === 'classic' ? entry.asyncLevel : null,
    offPolicyLevel: entry.maxOffPolicyLevel ?? null,
    filteredCount: entry.filtered?.count ?? null,
    filteredTotal: entry.filtered?.total ?? null,
    filtered: entry.filtered?.reasons ?? null,
  };
}
