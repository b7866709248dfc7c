import type { RolloutWire } from '@brier/contracts';

import { asError } from './as-error.js';
import type { EnvRollout } from './env-record.js';
import { encodeRollouts, rolloutBatchId, type BatchPayload, type RolloutSpool } from './rollout-spool.js';

/** A cut batch, waiting to be acknowledged: in memory, or in the spool once the API fell behind. */
export interface QueuedBatch {
  batchId: string;
  file: string;
  /** Its NDJSON while it is in memory; null once it is only on disk (read back when sent). */
  payload: Buffer | null;
  /** Its write to the spool, once begun: true when it is on disk. */
  written: Promise<boolean> | null;
  /** Acknowledged or refused: never written again. */
  done: boolean;
  rollouts: number;
  /** Rollouts per step. */
  steps: Map<number, number>;
  /** Times some of its lines were taken out after a 400 naming them. */
  repairs: number;
}

interface OpenBatch {
  wires: RolloutWire[];
  steps: Map<number, number>;
  firstIndex: number;
  lastIndex: number;
}

export interface RolloutBatchQueueOptions {
  spool: RolloutSpool;
  runId: string;
  attempt: number;
  /** Cut batches kept in memory before the queue spills to disk (default 8). */
  maxMemoryBatches?: number;
  /** Their NDJSON bytes (default 8 MiB). */
  maxMemoryBytes?: number;
  /** The disk refused a batch: it waits in memory instead (told once per failure). */
  onSpoolFailure: (error: Error) => void;
  /** A batch could not even be encoded: the shipper cannot go on. */
  onFailure: (error: Error) => void;
  /** A cut batch reached the queue. */
  onQueued: () => void;
}

const DEFAULT_MAX_MEMORY_BATCHES = 8;
const DEFAULT_MAX_MEMORY_BYTES = 8 * 1024 * 1024;

/**
 * The rollout batches of one attempt: the open one (in memory, until cut), then the cut ones in
 * the order they were cut. While the API keeps up, a batch lives in memory from its cut to its
 * acknowledgement: no disk write, read and delete per batch. Once it falls behind (spill(): a
 * send failed, or more than maxMemoryBatches / maxMemoryBytes wait) every queued batch and every
 * batch cut after it goes to the spool, so memory stays bounded through an outage of any length,
 * until the queue is empty again.
 *
 * Nothing reads a spool after the agent is gone (a new attempt resumes from a checkpoint and
 * re-generates the steps after it), so writing every batch first would protect against nothing
 * more: the env's rollout log on disk is the record a restart starts from.
 */
export class RolloutBatchQueue {
  private readonly options: RolloutBatchQueueOptions;
  private readonly maxMemoryBatches: number;
  private readonly maxMemoryBytes: number;
  private open: OpenBatch | null = null;
  private readonly queued: QueuedBatch[] = [];
  private seq = 0;
  private writes: Promise<void> = Promise.resolve();
  private writing = 0;
  private spilling = false;

  constructor(options: RolloutBatchQueueOptions) {
    this.options = options;
    this.maxMemoryBatches = options.maxMemoryBatches ?? DEFAULT_MAX_MEMORY_BATCHES;
    this.maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  }

  /** Rollouts in the open batch. */
  get openSize(): number {
    return this.open?.wires.length ?? 0;
  }

  /** Batches cut but not yet queued (being encoded, or written while spilling). */
  get pendingWrites(): number {
    return this.writing;
  }

  head(): QueuedBatch | undefined {
    return this.queued[0];
  }

  shift(): void {
    this.queued.shift();
    if (this.queued.length === 0) this.spilling = false; // caught up: back to memory
  }

  add(rollout: EnvRollout): void {
    const open: OpenBatch = (this.open ??= {
      wires: [],
      steps: new Map(),
      firstIndex: rollout.index,
      lastIndex: rollout.index,
    });
    open.wires.push(rollout.wire);
    open.steps.set(rollout.step, (open.steps.get(rollout.step) ?? 0) + 1);
    open.firstIndex = Math.min(open.firstIndex, rollout.index);
    open.lastIndex = Math.max(open.lastIndex, rollout.index);
  }

  /** Close the open batch: encoded, then queued (written to the spool first while spilling). */
  cut(): void {
    const open = this.open;
    if (open === null || open.wires.length === 0) return;
    this.open = null;
    const { runId, attempt, spool } = this.options;
    const batchId = rolloutBatchId(runId, attempt, open.firstIndex, open.lastIndex);
    const file = spool.fileOf(this.seq++, batchId);
    this.writing += 1;
    // Chained, so batches reach the queue in the order they were cut.
    this.writes = this.writes
      .then(async () => {
        const batch: QueuedBatch = {
          batchId,
          file,
          payload: encodeRollouts(open.wires),
          written: null,
          done: false,
          rollouts: open.wires.length,
          steps: open.steps,
          repairs: 0,
        };
        if (this.spilling) await this.toDisk(batch);
        this.queued.push(batch);
        if (!this.spilling && this.overMemoryBudget()) this.spill();
      })
      .catch((error: unknown) => this.options.onFailure(asError(error)))
      .finally(() => {
        this.writing -= 1;
        this.options.onQueued();
      });
  }

  /** The API fell behind: every queued batch, and those cut until the queue is empty, go to disk. */
  spill(): void {
    if (this.spilling) return;
    this.spilling = true;
    for (const batch of this.queued) void this.toDisk(batch);
  }

  /** Resolves once the batches being cut are queued (and written, while spilling). */
  async settledWrites(): Promise<void> {
    await this.writes;
    await Promise.all(this.queued.flatMap((batch) => (batch.written === null ? [] : [batch.written])));
  }

  /** Forget the open batch (the lease is gone: nothing more may be sent). */
  discardOpen(): void {
    this.open = null;
  }

  payloadOf(batch: QueuedBatch): Promise<BatchPayload> {
    return batch.payload === null
      ? this.options.spool.read(batch.file)
      : Promise.resolve({ body: batch.payload, gzipped: false });
  }

  /** The batch with only `keep` left, under the same Batch-Id (a refused batch stored nothing). */
  async replace(batch: QueuedBatch, keep: RolloutWire[], removedSteps: Map<number, number>): Promise<void> {
    const payload = encodeRollouts(keep);
    const onDisk = batch.written !== null && (await batch.written);
    batch.payload = onDisk && (await this.store(batch.file, payload)) ? null : payload;
    batch.rollouts = keep.length;
    batch.repairs += 1;
    for (const [step, n] of removedSteps) batch.steps.set(step, (batch.steps.get(step) ?? 0) - n);
  }

  /** Acknowledged: its file goes, if it had one. */
  async remove(batch: QueuedBatch): Promise<void> {
    batch.done = true;
    if (batch.written !== null && (await batch.written)) await this.options.spool.remove(batch.file);
  }

  /** Refused for good: kept on disk for a person, out of the way of the queue; where it is now. */
  async setAside(batch: QueuedBatch): Promise<string | null> {
    batch.done = true;
    if (batch.written !== null && (await batch.written)) return this.options.spool.setAside(batch.file);
    const kept = this.options.spool.setAsideFileOf(batch.file);
    return (await this.store(kept, batch.payload!)) ? kept : null;
  }

  private overMemoryBudget(): boolean {
    let batches = 0;
    let bytes = 0;
    for (const batch of this.queued) {
      if (batch.payload === null) continue;
      batches += 1;
      bytes += batch.payload.length;
    }
    return batches > this.maxMemoryBatches || bytes > this.maxMemoryBytes;
  }

  /** Writes the batch to the spool once; its payload leaves memory when it is on disk. */
  private toDisk(batch: QueuedBatch): Promise<boolean> {
    if (batch.done || batch.payload === null) return batch.written ?? Promise.resolve(false);
    const payload = batch.payload;
    batch.written ??= this.store(batch.file, payload).then((stored) => {
      // A repair may have replaced the payload meanwhile: that one stays in memory.
      if (stored && batch.payload === payload) batch.payload = null;
      return stored;
    });
    return batch.written;
  }

  private async store(file: string, payload: Buffer): Promise<boolean> {
    try {
      await this.options.spool.write(file, payload);
      return true;
    } catch (error) {
      this.options.onSpoolFailure(asError(error));
      return false;
    }
  }
}
