import type { ServerResponse } from 'node:http';

import {
  MetricsRepository,
  RunEntity,
  RunRepository,
  type RunChangeNotification,
  type StepChangeNotification,
} from '@brier/database';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, In } from 'typeorm';

import { ApiConfig } from '../config/api.config.js';
import { toMetricsRow, type MetricsRowView } from '../metrics/metrics.service.js';
import { toRunDto } from '../runs/dto/run.dto.js';
import { ChangeCollector, type RunChanges } from './change-collector.js';
import { LiveListener, type LiveNotificationHandler } from './live-listener.js';
import { SSE_KEEPALIVE_FRAME, SseStream, sseFrame } from './sse-stream.js';

/** How long notifications are collected before one delivery (one query per changed run). */
export const LIVE_COALESCE_MS = 200;
/** A delivery that failed (Postgres unavailable) is tried again after this long. */
const RETRY_DELIVERY_MS = 1_000;

/** A client of GET /v1/runs/{id}/live (runId set) or GET /v1/runs/live. */
interface Watcher {
  readonly runId: string | undefined;
  readonly stream: SseStream;
  /** Its snapshot was sent: deliveries reach it from now on. */
  joined: boolean;
}

interface Join {
  watcher: Watcher;
  settle: (found: boolean) => void;
  fail: (error: unknown) => void;
}

/** Open streams and queued work, for tests and diagnostics. */
export interface LiveStats {
  runWatchers: number;
  watchedRuns: number;
  allRunsWatchers: number;
  pendingRuns: number;
  pendingJoins: number;
}

/**
 * The live streams of runs: fans the listener's notifications out to the SSE clients watching.
 *
 * Deliveries and snapshots happen one at a time, in order, on one loop (`drain`): a client that
 * joins is sent its snapshot between two deliveries, and from then on every delivery. Any change
 * committed before its snapshot was read is in the snapshot; any later one is notified after the
 * client registered, so it comes in a later delivery: no gap (a change may arrive twice).
 *
 * A delivery reads each changed run once (one query for all of them) and each changed run's
 * changed steps once (one metrics query per run), however many clients watch; then writes the
 * same frames to every client without waiting for any (SseStream cuts off one that reads too
 * slowly). Changes to runs nobody watches are not collected.
 */
@Injectable()
export class LiveHub implements LiveNotificationHandler, OnModuleDestroy {
  private readonly logger = new Logger('LiveHub');
  private readonly byRun = new Map<string, Set<Watcher>>();
  private readonly allRuns = new Set<Watcher>();
  private readonly joins: Join[] = [];
  private readonly changes = new ChangeCollector(LIVE_COALESCE_MS, () => void this.drain());
  private keepalive: NodeJS.Timeout | undefined;
  private draining = false;
  /** After a failed delivery, changes wait until then (snapshots do not). */
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly listener: LiveListener,
    private readonly runs: RunRepository,
    private readonly metrics: MetricsRepository,
    private readonly dataSource: DataSource,
    private readonly config: ApiConfig,
  ) {
    listener.attach(this);
  }

  get watching(): boolean {
    return this.byRun.size > 0 || this.allRuns.size > 0;
  }

  stats(): LiveStats {
    let runWatchers = 0;
    for (const set of this.byRun.values()) runWatchers += set.size;
    return {
      runWatchers,
      watchedRuns: this.byRun.size,
      allRunsWatchers: this.allRuns.size,
      pendingRuns: this.changes.size,
      pendingJoins: this.joins.length,
    };
  }

  /**
   * Stream one run to `response`: its snapshot, then its changes. False when there is no such run
   * (nothing was written: the caller answers 404). Rejects when Postgres cannot be reached.
   */
  async watchRun(runId: string, response: ServerResponse): Promise<boolean> {
    await this.ready();
    const watcher = this.register(runId, response);
    if (!watcher) return true; // the client left meanwhile: nothing to answer
    return new Promise<boolean>((settle, fail) => {
      this.joins.push({ watcher, settle, fail });
      void this.drain();
    });
  }

  /** Stream every run's changes to `response` (no snapshot: GET /v1/runs lists them). */
  async watchAll(response: ServerResponse): Promise<void> {
    await this.ready();
    const watcher = this.register(undefined, response);
    watcher?.stream.open();
    if (watcher) watcher.joined = true;
  }

  runChanged(change: RunChangeNotification): void {
    if (this.allRuns.size > 0 || this.byRun.has(change.runId)) {
      this.changes.runChanged(change.runId, change.op === 'DELETE');
    }
  }

  stepChanged(change: StepChangeNotification): void {
    if (this.byRun.has(change.runId)) this.changes.stepChanged(change.runId, change.step);
  }

  resync(): void {
    this.changes.allChanged(this.byRun.keys());
    // Which runs changed meanwhile is unknown: clients of every run are told to list them again.
    const frame = sseFrame('resync', {});
    for (const watcher of this.allRuns) watcher.stream.write(frame);
  }

  onModuleDestroy(): void {
    this.closed = true;
    clearInterval(this.keepalive);
    this.changes.clear();
    for (const join of this.joins.splice(0)) join.fail(new Error('the API is shutting down'));
    for (const watcher of this.everyWatcher()) watcher.stream.end();
    this.byRun.clear();
    this.allRuns.clear();
  }

  private async ready(): Promise<void> {
    if (this.closed) throw new Error('the API is shutting down');
    await this.listener.listening();
  }

  /** The client's watcher, registered; undefined when the client has already left. */
  private register(runId: string | undefined, response: ServerResponse): Watcher | undefined {
    const watcher: Watcher = {
      runId,
      stream: new SseStream(response, () => this.unregister(watcher)),
      joined: false,
    };
    if (watcher.stream.closed) return undefined;
    if (runId === undefined) this.allRuns.add(watcher);
    else {
      let set = this.byRun.get(runId);
      if (!set) this.byRun.set(runId, (set = new Set()));
      set.add(watcher);
    }
    this.keepalive ??= setInterval(() => this.sendKeepalive(), this.config.LOG_STREAM_KEEPALIVE_MS).unref();
    return watcher;
  }

  private unregister(watcher: Watcher): void {
    if (watcher.runId === undefined) this.allRuns.delete(watcher);
    else {
      const set = this.byRun.get(watcher.runId);
      set?.delete(watcher);
      if (set?.size === 0) this.byRun.delete(watcher.runId);
    }
    if (!this.watching) {
      clearInterval(this.keepalive);
      this.keepalive = undefined;
      this.changes.clear();
    }
  }

  private *everyWatcher(): Iterable<Watcher> {
    yield* this.allRuns;
    for (const set of this.byRun.values()) yield* set;
  }

  private sendKeepalive(): void {
    for (const watcher of [...this.everyWatcher()])
      if (watcher.joined) watcher.stream.write(SSE_KEEPALIVE_FRAME);
  }

  /** Snapshots and deliveries, one at a time, until there is nothing left to do. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.closed) {
        const join = this.joins.shift();
        if (join) {
          await this.join(join);
          continue;
        }
        if (this.changes.size === 0) break;
        if (Date.now() < this.retryAt) {
          this.changes.dueIn(this.retryAt - Date.now());
          break;
        }
        const batch = this.changes.take();
        try {
          await this.deliver(batch);
        } catch (error) {
          this.logger.warn(
            `live delivery failed, retrying in ${RETRY_DELIVERY_MS} ms: ${(error as Error).message}`,
          );
          this.retryAt = Date.now() + RETRY_DELIVERY_MS;
          this.changes.restore(batch);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async join({ watcher, settle, fail }: Join): Promise<void> {
    try {
      const run = watcher.stream.closed ? undefined : await this.runs.findById(watcher.runId!);
      if (watcher.stream.closed) return settle(true); // the client left: nothing to answer
      if (!run) {
        this.unregister(watcher);
        return settle(false);
      }
      watcher.stream.open();
      watcher.stream.write(sseFrame('run', toRunDto(run)));
      watcher.joined = true;
      settle(true);
    } catch (error) {
      this.unregister(watcher);
      fail(error);
    }
  }

  private async deliver(batch: ReadonlyMap<string, RunChanges>): Promise<void> {
    const watched = (runId: string): boolean => this.allRuns.size > 0 || this.byRun.has(runId);
    const changedRuns = [...batch].filter(([runId, c]) => c.run && watched(runId)).map(([runId]) => runId);
    const stepReads = [...batch]
      .filter(([runId, c]) => this.byRun.has(runId) && !c.deleted && (c.steps === 'all' || c.steps.size > 0))
      .map(async ([runId, c]) => [runId, await this.readSteps(runId, c.steps)] as const);
    const [runs, steps] = await Promise.all([this.readRuns(changedRuns), Promise.all(stepReads)]);
    for (const runId of changedRuns) {
      const run = runs.get(runId);
      const frame = run ? sseFrame('run', toRunDto(run)) : sseFrame('deleted', { id: runId });
      for (const watcher of [...this.allRuns, ...(this.byRun.get(runId) ?? [])]) {
        if (!watcher.joined) continue;
        watcher.stream.write(frame);
        if (!run && watcher.runId !== undefined) watcher.stream.end();
      }
    }
    for (const [runId, rows] of steps) {
      if (rows.length === 0) continue;
      const frame = sseFrame('steps', rows);
      for (const watcher of this.byRun.get(runId) ?? []) if (watcher.joined) watcher.stream.write(frame);
    }
  }

  /** The changed runs, in one query. */
  private async readRuns(ids: readonly string[]): Promise<Map<string, RunEntity>> {
    if (ids.length === 0) return new Map();
    const found = await this.dataSource.getRepository(RunEntity).findBy({ id: In([...ids]) });
    return new Map(found.map((run) => [run.id, run]));
  }

  /** The metrics rows (as GET /v1/runs/{id}/metrics has them) of the changed steps, in one query. */
  private async readSteps(runId: string, steps: Set<number> | 'all'): Promise<MetricsRowView[]> {
    if (steps !== 'all' && steps.size === 1) {
      const [step] = steps;
      const row = await this.metrics.stepMetricsAt(runId, step!, 'aggregates');
      return row ? [toMetricsRow(row)] : [];
    }
    const rows = await this.metrics.stepMetrics(runId);
    return rows.filter((row) => steps === 'all' || steps.has(row.step)).map(toMetricsRow);
  }
}
