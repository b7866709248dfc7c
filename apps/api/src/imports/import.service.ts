import type { IncomingMessage } from 'node:http';

import { SPEC_VERSION, type ValidRunRequest } from '@brier/contracts';
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
  readOrchestratorLog,
  ResultsSetError,
  type RecognisedResultFile,
  type ResultsDescription,
  type StepLogEntry,
} from '@brier/results';
import { Injectable, Logger } from '@nestjs/common';

import { principalOf } from '../auth/principal.js';
import { apiError } from '../http/api-error.js';
import { toRunDto, type RunDto } from '../runs/dto/run.dto.js';
import { lineErrorsException } from '../rollouts/rollout-ingest.service.js';
import { RolloutParsePool } from '../rollouts/rollout-parse-pool.js';
import { IngestSlots } from '../rollouts/rollout-slots.js';
import { ImportCancelledError, ImportLinesError } from './import-errors.js';
import { parseImportFields, readSpecOf, type ImportReadSpec } from './import-fields.js';
import {
  commitImport,
  feedRolloutFile,
  importLoader,
  type ImportBeat,
  type LoadedRollouts,
} from './import-loading.js';
import type { RolloutPrefetch } from './rollout-prefetch.js';
import type { UploadedFile } from './upload-storage.js';
import { IMPORT_HEARTBEAT_MS, UploadingImport, type UploadingImportDeps } from './uploading-import.js';

export { IMPORT_FIELDS } from './import-fields.js';

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
  /** Rollouts written to Postgres (uncommitted) while the file was still uploading. */
  storedDuringUpload: number;
  orchestratorSteps: number;
  /** Wall seconds of reading and storing (the upload itself excluded). */
  seconds: number;
}

export type ImportResultView = RunDto & { import: ImportSummary };

/** Who owns an import run: the name of the token that uploaded it (the guard put it on the request). */
export function importOwner(req: IncomingMessage): string {
  const principal = principalOf(req);
  if (!principal) throw new Error('an import request without a principal reached the import');
  return principal.name;
}

/** The form fields of a request, comparable between its start and its end. */
export function fieldsKey(fields: Record<string, unknown>): string {
  return JSON.stringify(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * POST /v1/imports: a results directory's files (already spooled to disk by the upload) become an
 * `import` run. The run is created as running, its rollouts are stored in one transaction
 * (chunks of the ingestion route's size; step = the recorded step or position // batch_size,
 * sample_key = the record's position in the file), prime-rl's per-step lines are recorded, and
 * the run ends succeeded, or failed with the error (a malformed line stores no rollouts). When
 * generations.jsonl came after valid fields, the run was begun and its rows written during the
 * upload (UploadingImport); the import finishes that.
 */
@Injectable()
export class ImportService {
  private readonly logger = new Logger('Imports');
  private readonly uploadDeps: UploadingImportDeps;
  /** Imports storing rows during their upload (each holds an ingest slot and a transaction). */
  private uploading = 0;

  constructor(
    private readonly runs: RunRepository,
    private readonly importRuns: ImportRunRepository,
    private readonly ingest: RolloutIngestRepository,
    private readonly orchestrator: OrchestratorStepRepository,
    private readonly slots: IngestSlots,
    private readonly pool: RolloutParsePool,
  ) {
    this.uploadDeps = { runs, importRuns, ingest, pool };
  }

  /**
   * Begin the import of a generations.jsonl that has started to upload, with the (valid) fields
   * sent before it: null when no ingest slot is free now, or another import already does this (a
   * slow upload holds its slot and transaction for as long as it takes: one at a time leaves the
   * other slots to agents' rollouts).
   */
  beginDuringUpload(
    prefetch: RolloutPrefetch,
    request: ValidRunRequest,
    fields: Record<string, unknown>,
    createdBy: string,
  ): UploadingImport | null {
    if (this.uploading > 0) return null;
    const release = this.slots.tryAcquire();
    if (release === null) return null;
    this.uploading += 1;
    let released = false;
    const releaseSlot = (): void => {
      if (released) return;
      released = true;
      this.uploading -= 1;
      release();
    };
    return new UploadingImport(this.uploadDeps, prefetch, {
      request,
      fieldsKey: fieldsKey(fields),
      createdBy,
      releaseSlot,
    });
  }

  /**
   * `prefetch`: the rollout file parsed during its upload (RolloutPrefetch), taken when the request
   * reads that file the way the prefetch assumed; dropped otherwise. `begun`: the import begun
   * during the upload, if any (its run becomes this import's run).
   */
  async import(
    files: readonly UploadedFile[],
    fields: Record<string, unknown>,
    createdBy: string,
    prefetch?: RolloutPrefetch,
    begun?: UploadingImport,
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
    // Read the (small) log before anything is created: a file that cannot be read fails the request alone.
    const log = description.orchestratorLog
      ? await readOrchestratorLog(description.orchestratorLog.path)
      : null;
    const orchestratorSteps = (log?.steps ?? [])
      .filter((s) => spec.maxSteps === undefined || s.step < spec.maxSteps)
      .map(toOrchestratorStep);

    let runId: string;
    try {
      runId = await this.runFor(request, description, fields, createdBy, begun);
    } catch (error) {
      await begun?.drop();
      throw error;
    }
    const loadsBegun = ahead !== null && begun !== undefined && (await begun.isLoading());
    if (!loadsBegun) {
      if (ahead === null) prefetch?.cancel();
      await begun?.drop();
    }
    try {
      const source = description.rolloutSource;
      const loaded: LoadedRollouts = !source
        ? { rollouts: 0, steps: new Set<number>(), beyondMaxSteps: 0 }
        : loadsBegun
          ? await begun.finish(source)
          : await this.slots.run(() => this.loadRollouts(runId, source, spec, begun ? null : ahead));
      await this.orchestrator.record(runId, 0, orchestratorSteps);
      const lastStep = Math.max(-1, ...loaded.steps, ...orchestratorSteps.map((s) => s.step));
      const summary: ImportSummary = {
        rolloutSource: description.rolloutSource?.name ?? null,
        files: description.files.map((f) => f.name),
        ignored: description.ignored.map((f) => ({ name: f.name, reason: f.reason })),
        rollouts: loaded.rollouts,
        steps: loaded.steps.size,
        beyondMaxSteps: loaded.beyondMaxSteps,
        parsedDuringUpload: ahead?.parsedBytes ?? 0,
        storedDuringUpload: loadsBegun ? begun.storedDuringUpload : 0,
        orchestratorSteps: orchestratorSteps.length,
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      };
      const done = await this.runs.transition(runId, {
        from: ['running'],
        to: 'succeeded',
        actor: 'api',
        reason: `imported ${summary.rollouts} rollouts in ${summary.steps} steps, ${summary.orchestratorSteps} orchestrator steps`,
        set: { exitCode: 0, ...(lastStep >= 0 ? { progressStep: lastStep } : {}) },
        data: summary,
      });
      if (!done) throw new ImportCancelledError();
      this.logger.log(
        `import ${runId}: ${summary.rollouts} rollouts, ${summary.steps} steps in ${summary.seconds} s`,
      );
      return { ...toRunDto(done), import: summary };
    } catch (error) {
      throw await this.fail(runId, error);
    }
  }

  /**
   * The import's run: the one begun during the upload (amended when fields after the file changed
   * the request), or a new one, running.
   */
  private async runFor(
    request: ValidRunRequest,
    description: ResultsDescription,
    fields: Record<string, unknown>,
    createdBy: string,
    begun: UploadingImport | undefined,
  ): Promise<string> {
    const begunRun = await begun?.claim();
    const maxSteps = readSpecOf(request).maxSteps ?? null;
    if (begun && begunRun) {
      if (begun.fieldsKey !== fieldsKey(fields)) {
        const amended = await this.importRuns.amendRequest(begunRun, { ...request, maxSteps });
        if (!amended) throw await this.fail(begunRun, new ImportCancelledError());
      }
      return begunRun;
    }
    const { run: created } = await this.runs.create({
      kind: 'import',
      name: request.name,
      spec: request.spec,
      specVersion: SPEC_VERSION,
      gpuCount: 0,
      maxSteps,
      createdBy,
    });
    const running = await this.runs.transition(created.id, {
      from: ['queued'],
      to: 'running',
      actor: 'api',
      reason: `import of ${description.files.map((f) => f.name).join(', ')}`,
    });
    if (!running) throw new Error(`import run ${created.id} left queued before its import began`);
    return created.id;
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
  ): Promise<LoadedRollouts> {
    const session = await this.ingest.open(runId, `import-${runId}`);
    if (!session) throw new Error(`import batch of run ${runId} exists already`);
    let lastBeat = Date.now();
    const beat: ImportBeat = async () => {
      if (Date.now() - lastBeat < IMPORT_HEARTBEAT_MS) return;
      lastBeat = Date.now();
      const heartbeat = await this.importRuns.heartbeat(runId);
      if (!heartbeat || heartbeat.cancelRequested) throw new ImportCancelledError();
    };
    try {
      const loader = importLoader(session, this.pool, spec);
      let from = 0;
      if (ahead !== null && source.kind === 'generations') {
        await loader.adopt(ahead);
        from = ahead.rest?.offset ?? -1;
      }
      if (from >= 0) await feedRolloutFile(loader, source, from, beat);
      return await commitImport(loader, session, source, beat);
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
