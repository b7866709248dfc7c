import { SPEC_VERSION, type ValidRunRequest } from '@brier/contracts';
import type {
  ImportRunRepository,
  RolloutIngestRepository,
  RolloutIngestSession,
  RunRepository,
} from '@brier/database';
import type { RecognisedResultFile } from '@brier/results';
import { Logger } from '@nestjs/common';

import type { RolloutLoader } from '../rollouts/rollout-loader.js';
import type { RolloutParsePool } from '../rollouts/rollout-parse-pool.js';
import { ImportCancelledError } from './import-errors.js';
import { readSpecOf } from './import-fields.js';
import { commitImport, feedRolloutFile, importLoader, type LoadedRollouts } from './import-loading.js';
import type { RolloutPrefetch } from './rollout-prefetch.js';

/** The import run's own heartbeat while it loads (the reaper allows 3 agent intervals of silence). */
export const IMPORT_HEARTBEAT_MS = 2_000;

export interface UploadingImportDeps {
  runs: RunRepository;
  importRuns: ImportRunRepository;
  ingest: RolloutIngestRepository;
  pool: RolloutParsePool;
}

interface Loading {
  session: RolloutIngestSession;
  loader: RolloutLoader;
  /** Ends when the upload of the file ends (or the prefetch stops); rejects with a write's error. */
  adoption: Promise<void>;
}

interface Started {
  runId: string;
  /** Null when the ingest session could not be opened: the import then loads the file itself. */
  loading: Loading | null;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * An import begun while its generations.jsonl still uploads, so that Postgres stores rows during
 * the upload instead of after it: the run is created (running) as soon as the file starts, with
 * the fields sent before it, and the chunks the prefetch parses are written into the import's
 * ingest session as they come (one transaction: nothing is visible before the commit).
 *
 * ImportService.import claims it once the whole request is read. When the request reads the file
 * the same way (this file, the same batch size and step cap), finish() writes the rest and
 * commits; otherwise drop() rolls the rows back and the import loads the file itself into the same
 * run. A request that fails before the import reads it (bad fields, a failed upload) discard()s
 * it: the rows are rolled back and the run deleted, as if it had never begun.
 */
export class UploadingImport {
  private readonly logger = new Logger('Imports');
  private readonly started: Promise<Started | null>;
  private claimed = false;
  private closing: Promise<void> | null = null;
  private cancelled = false;
  private beatFailure: Error | null = null;
  private beating = false;
  private timer: NodeJS.Timeout | null = null;
  /** Rows written before the upload ended (set by finish()). */
  storedDuringUpload = 0;

  /** The request as its fields before the file gave it. */
  readonly request: ValidRunRequest;
  /** Those fields, comparable with the whole request's (fieldsKey). */
  readonly fieldsKey: string;
  private readonly createdBy: string;
  /** Gives back the ingest slot this import holds. */
  private readonly releaseSlot: () => void;

  constructor(
    private readonly deps: UploadingImportDeps,
    private readonly prefetch: RolloutPrefetch,
    begin: { request: ValidRunRequest; fieldsKey: string; createdBy: string; releaseSlot: () => void },
  ) {
    ({
      request: this.request,
      fieldsKey: this.fieldsKey,
      createdBy: this.createdBy,
      releaseSlot: this.releaseSlot,
    } = begin);
    this.started = this.start();
  }

  /** The import takes it over: the run it created (the import's run from now on), or null. */
  async claim(): Promise<string | null> {
    this.claimed = true;
    return (await this.started)?.runId ?? null;
  }

  /** Whether rows are being loaded (finish() can complete them). */
  async isLoading(): Promise<boolean> {
    return (await this.started)?.loading != null;
  }

  /** Write what the upload's parsing did not reach (from the spooled file), then commit. */
  async finish(source: RecognisedResultFile): Promise<LoadedRollouts> {
    const started = await this.started;
    if (!started?.loading) throw new Error('finish() of an import that is not loading');
    const { loader, session, adoption } = started.loading;
    // The heartbeat runs on its timer: between writes, only whether it saw a cancel or an error.
    const beat = (): Promise<void> => {
      this.throwIfStopped();
      return Promise.resolve();
    };
    // The import claims this once the upload has ended: what was written so far overlapped it.
    this.storedDuringUpload = session.counts.received;
    try {
      await adoption;
      this.throwIfStopped();
      const rest = this.prefetch.rest;
      if (rest !== null) await feedRolloutFile(loader, source, rest.offset, beat);
      return await commitImport(loader, session, source, beat);
    } finally {
      await this.close();
    }
  }

  /** Roll back what was written (the request reads the file another way); the run stays. */
  async drop(): Promise<void> {
    this.prefetch.cancel();
    await this.close();
  }

  /** The request failed before the import read it: roll back and delete the run. No-op once claimed. */
  async discard(): Promise<void> {
    if (this.claimed) return;
    this.claimed = true;
    await this.drop();
    const started = await this.started;
    if (started) await this.deps.importRuns.deleteUnread(started.runId);
  }

  private async start(): Promise<Started | null> {
    let runId: string;
    try {
      const spec = readSpecOf(this.request);
      const { run } = await this.deps.runs.create({
        kind: 'import',
        name: this.request.name,
        spec: this.request.spec,
        specVersion: SPEC_VERSION,
        gpuCount: 0,
        maxSteps: spec.maxSteps ?? null,
        createdBy: this.createdBy,
      });
      runId = run.id;
      const running = await this.deps.runs.transition(runId, {
        from: ['queued'],
        to: 'running',
        actor: 'api',
        reason: 'import, storing generations.jsonl while it uploads',
      });
      if (!running) throw new Error(`import run ${runId} left queued before its import began`);
    } catch (error) {
      // The import reads the request as usual once the upload ends; it meets (and answers) this
      // error again then if it persists.
      this.logger.warn(`could not begin an import during its upload: ${messageOf(error)}`);
      this.releaseSlot();
      return null;
    }
    this.timer = setInterval(() => void this.beat(runId), IMPORT_HEARTBEAT_MS).unref();
    try {
      const session = await this.deps.ingest.open(runId, `import-${runId}`);
      if (!session) throw new Error(`import batch of run ${runId} exists already`);
      const loader = importLoader(session, this.deps.pool, readSpecOf(this.request));
      const adoption = loader.adoptLive(this.prefetch);
      // Awaited by finish(); close() waits for it to settle whatever it ends with.
      adoption.catch(() => undefined);
      return { runId, loading: { session, loader, adoption } };
    } catch (error) {
      this.logger.warn(`import ${runId}: could not store rows during the upload: ${messageOf(error)}`);
      this.releaseSlot();
      return { runId, loading: null };
    }
  }

  private async beat(runId: string): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const heartbeat = await this.deps.importRuns.heartbeat(runId);
      if (!heartbeat || heartbeat.cancelRequested) {
        this.cancelled = true;
        this.prefetch.cancel();
      }
    } catch (error) {
      this.beatFailure ??= error instanceof Error ? error : new Error(String(error));
      this.prefetch.cancel();
    } finally {
      this.beating = false;
    }
  }

  private throwIfStopped(): void {
    if (this.beatFailure !== null) throw this.beatFailure;
    if (this.cancelled) throw new ImportCancelledError();
  }

  /** Stop the heartbeat, roll back what was not committed, give the slot back (once). */
  private close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== null) clearInterval(this.timer);
      const started = await this.started;
      if (!started?.loading) return;
      try {
        // A dropped load's own error says nothing about the request: wait for it to stop, only.
        await started.loading.adoption.catch(() => undefined);
        await started.loading.session.rollback();
      } finally {
        this.releaseSlot();
      }
    })();
    return this.closing;
  }
}
