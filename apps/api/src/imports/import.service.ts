import { SEED_LENGTH_PENALTY } from '@brier/calibration';
import {
  ROLLOUT_IGNORED_KEYS,
  ROLLOUT_WIRE_KEYS,
  SPEC_VERSION,
  validateRunRequest,
  type ValidRunRequest,
} from '@brier/contracts';
import {
  ImportRunRepository,
  OrchestratorStepRepository,
  RolloutStreamIngestRepository,
  RunRepository,
  type OrchestratorStepInput,
  type RunEntity,
} from '@brier/database';
import {
  describeResults,
  readLines,
  readMetricsCsv,
  readOrchestratorLog,
  ResultsSetError,
  type RecognisedResultFile,
  type ResultsDescription,
  type StepLogEntry,
} from '@brier/results';
import { Injectable, Logger } from '@nestjs/common';

import { apiError, invalidRequest, type FieldMessage } from '../http/api-error.js';
import { toRunDto, type RunDto } from '../runs/dto/run.dto.js';
import { lineErrorsException } from '../rollouts/rollout-ingest.service.js';
import { RolloutLoader, type LoadSummary } from '../rollouts/rollout-loader.js';
import { IngestSlots } from '../rollouts/rollout-slots.js';
import type { UploadedFile } from './upload-storage.js';

/** The form fields of POST /v1/imports besides the files. */
export const IMPORT_FIELDS = ['name', 'batch_size', 'max_steps', 'origin'] as const;
const FIELD_OF_PATH: Readonly<Record<string, string>> = {
  name: 'name',
  'spec.batchSize': 'batch_size',
  'spec.maxSteps': 'max_steps',
  'spec.origin': 'origin',
};

/** The import run's refresh interval of its own heartbeat (the reaper allows 3 agent intervals). */
const HEARTBEAT_EVERY_MS = 2_000;
const WIRE_KEYS: ReadonlySet<string> = new Set<string>([...ROLLOUT_WIRE_KEYS, ...ROLLOUT_IGNORED_KEYS]);

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
    private readonly ingest: RolloutStreamIngestRepository,
    private readonly orchestrator: OrchestratorStepRepository,
    private readonly slots: IngestSlots,
  ) {}

  async import(files: readonly UploadedFile[], fields: Record<string, unknown>): Promise<ImportResultView> {
    const request = this.parseFields(fields);
    let description: ResultsDescription;
    try {
      description = describeResults(files.map((file) => ({ name: file.originalname, path: file.path })));
    } catch (error) {
      if (!(error instanceof ResultsSetError)) throw error;
      throw apiError(400, error.message, { code: error.code, given: files.map((f) => f.originalname) });
    }
    const spec = request.spec as { batchSize: number; maxSteps?: number };
    const started = performance.now();
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
        ? await this.slots.run(() => this.loadRollouts(created.id, description.rolloutSource!, spec))
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

  /** The form fields as a validated import request (400 naming each bad field). */
  private parseFields(fields: Record<string, unknown>): ValidRunRequest {
    const problems: FieldMessage[] = [];
    for (const key of Object.keys(fields)) {
      if (!(IMPORT_FIELDS as readonly string[]).includes(key)) {
        problems.push({
          path: key,
          message: `${key} is not an import field (${IMPORT_FIELDS.join(', ')}, and files)`,
        });
      }
    }
    const text = (key: string): string | undefined => {
      const value = fields[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string') {
        problems.push({ path: key, message: `${key} must be given once, as text` });
        return undefined;
      }
      return value.trim();
    };
    const integer = (key: string): number | string | undefined => {
      const value = text(key);
      if (value === undefined || value === '') return undefined;
      return /^\d{1,10}$/.test(value) ? Number(value) : value;
    };
    const name =
      text('name') ||
      `import ${new Date().toISOString().slice(0, 19).replace('T', ' ').replaceAll(':', '.')}`;
    const batchSize = integer('batch_size');
    const maxSteps = integer('max_steps');
    const origin = text('origin');
    if (problems.length > 0) throw invalidRequest(problems);
    const checked = validateRunRequest({
      kind: 'import',
      name,
      resources: { gpuCount: 0 },
      spec: {
        source: 'upload',
        ...(batchSize === undefined ? {} : { batchSize }),
        ...(maxSteps === undefined ? {} : { maxSteps }),
        ...(origin === undefined || origin === '' ? {} : { origin }),
      },
    });
    if (!checked.ok) {
      throw invalidRequest(
        checked.errors.map((e) => ({
          path: FIELD_OF_PATH[e.path] ?? e.path,
          message: e.message.replace(/\bbatchSize\b/g, 'batch_size').replace(/\bmaxSteps\b/g, 'max_steps'),
        })),
      );
    }
    return checked.value;
  }

  /** Stream the rollout file into one ingest session; throws ImportLinesError when a line is bad. */
  private async loadRollouts(
    runId: string,
    source: RecognisedResultFile,
    spec: { batchSize: number; maxSteps?: number },
  ): Promise<{ rollouts: number; steps: Set<number>; beyondMaxSteps: number }> {
    const session = await this.ingest.open(runId, `import-${runId}`);
    if (!session) throw new Error(`import batch of run ${runId} exists already`);
    const steps = new Set<number>();
    let beyondMaxSteps = 0;
    let lastBeat = Date.now();
    const beat = async (): Promise<void> => {
      if (Date.now() - lastBeat < HEARTBEAT_EVERY_MS) return;
      lastBeat = Date.now();
      const heartbeat = await this.importRuns.heartbeat(runId);
      if (!heartbeat || heartbeat.cancelRequested) throw new ImportCancelledError();
    };
    try {
      const loader = new RolloutLoader(session, {
        context: { defaultAttempt: 0, penalty: SEED_LENGTH_PENALTY },
      });
      const keep = (step: number): boolean => {
        if (spec.maxSteps !== undefined && step >= spec.maxSteps) {
          beyondMaxSteps += 1;
          return false;
        }
        steps.add(step);
        return true;
      };
      let position = 0;
      if (source.kind === 'generations') {
        for await (const line of readLines(source.path)) {
          if (line.text.trim() === '') continue;
          const index = position++;
          if ((index & 1023) === 0) await beat();
          let record: unknown;
          try {
            record = JSON.parse(line.text);
          } catch (error) {
            loader.reject(line.number, '', `is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
            continue;
          }
          if (typeof record !== 'object' || record === null || Array.isArray(record)) {
            loader.reject(line.number, '', 'is not a JSON object');
            continue;
          }
          const wire: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(record)) if (WIRE_KEYS.has(key)) wire[key] = value;
          const recorded = wire['step'];
          const step = Number.isInteger(recorded) ? (recorded as number) : Math.floor(index / spec.batchSize);
          if (!keep(step)) continue;
          wire['step'] = step;
          wire['attempt'] = 0;
          wire['sample_key'] = String(index);
          await loader.add(line.number, wire, line.text.length);
        }
      } else {
        const rows = readMetricsCsv(source.path, (malformed) =>
          loader.reject(malformed.line, '', malformed.error),
        );
        for await (const row of rows) {
          if ((position++ & 1023) === 0) await beat();
          if (!keep(row.step)) continue;
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
      return { rollouts: result.inserted + result.skipped, steps, beyondMaxSteps };
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
