import type { RolloutWire } from '@brier/contracts';

import { asError } from './as-error.js';
import type { EnvRollout } from './env-record.js';
import { encodeRollouts, rolloutBatchId, type RolloutSpool } from './rollout-spool.js';

/** A cut batch, waiting (on disk) to be acknowledged. */
export interface QueuedBatch {
  batchId: string;
  file: string;
  /** The payload, only while it could not be written to disk (else read back when sent). */
  payload: Buffer | null;
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
  /** The disk refused a batch: it waits in memory instead (told once per failure). */
  onSpoolFailure: (error: Error) => void;
  /** A batch could not even be encoded: the shipper cannot go on. */
  onFailure: (error: Error) => void;
  /** A cut batch reached the queue. */
  onQueued: () => void;
}

/**
 * The rollout batches of one attempt: the open one (in memory, until cut), then the cut ones in
 * the order they were cut, each written to the spool before it is queued so that only the open
 * batch and the head's payload need memory.
 */
export class RolloutBatchQueue {
  private readonly options: RolloutBatchQueueOptions;
  private open: OpenBatch | null = null;
  private readonly queued: QueuedBatch[] = [];
  private seq = 0;
  private writes: Promise<void> = Promise.resolve();
  private writing = 0;

  constructor(options: RolloutBatchQueueOptions) {
    this.options = options;
  }

  /** Rollouts in the open batch. */
  get openSize(): number {
    return this.open?.wires.length ?? 0;
  }

  /** Batches cut but not yet queued (being encoded and written). */
  get pendingWrites(): number {
    return this.writing;
  }

  head(): QueuedBatch | undefined {
    return this.queued[0];
  }

  shift(): void {
    this.queued.shift();
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

  /** Close the open batch: encoded, written to the spool, then queued. */
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
        const payload = await encodeRollouts(open.wires);
        const stored = await this.store(file, payload);
        this.queued.push({
          batchId,
          file,
          payload: stored ? null : payload,
          rollouts: open.wires.length,
          steps: open.steps,
          repairs: 0,
        });
      })
      .catch((error: unknown) => this.options.onFailure(asError(error)))
      .finally(() => {
        this.writing -= 1;
        this.options.onQueued();
      });
  }

  /** Forget the open batch (the lease is gone: nothing more may be sent). */
  discardOpen(): void {
    this.open = null;
  }

  payloadOf(batch: QueuedBatch): Promise<Buffer> {
    return batch.payload === null ? this.options.spool.read(batch.file) : Promise.resolve(batch.payload);
  }

  /** The batch with only `keep` left, under the same Batch-Id (a refused batch stored nothing). */
  async replace(batch: QueuedBatch, keep: RolloutWire[], removedSteps: Map<number, number>): Promise<void> {
    const payload = await encodeRollouts(keep);
    batch.payload = (await this.store(batch.file, payload)) ? null : payload;
    batch.rollouts = keep.length;
    batch.repairs += 1;
    for (const [step, n] of removedSteps) batch.steps.set(step, (batch.steps.get(step) ?? 0) - n);
  }

  /** Acknowledged: its file goes. */
  async remove(batch: QueuedBatch): Promise<void> {
    await this.options.spool.remove(batch.file);
  }

  /** Refused for good: its file stays for a person, renamed out of the way; where it is now. */
  async setAside(batch: QueuedBatch): Promise<string | null> {
    if (batch.payload === null) return this.options.spool.setAside(batch.file);
    await this.options.spool.remove(batch.file); // an older version of it, if any
    return null;
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
