import { join } from 'node:path';

import type { PrimeRlLayout } from '../prime-rl/prime-rl-adapter.js';
import { checkpointFingerprint } from './checkpoint-fingerprint.js';
import { scanCheckpoints, type CheckpointState } from './checkpoint-scan.js';

export type { CheckpointState } from './checkpoint-scan.js';

export interface CheckpointWatcherOptions {
  layout: PrimeRlLayout;
  runDir: string;
  intervalMs: number;
  /** Called for every new checkpoint and again when one becomes complete, one call at a time. */
  onChange: (state: CheckpointState) => Promise<void>;
  /** A failed background scan or onChange (also kept in lastError). The watcher keeps going. */
  onError?: (error: Error) => void;
}

/**
 * Polls a run's checkpoint directories and reports each step_N as it appears and once it is
 * complete (then with its fingerprint). A state counts as reported only once onChange resolved, so a failed onChange is
 * retried on the next scan (delivery is at least once; consumers are idempotent).
 */
export class CheckpointWatcher {
  /** The last error of a background scan, until a later scan succeeds. */
  lastError: Error | null = null;
  /** "kind:step" → whether it was reported complete. */
  private readonly reported = new Map<string, boolean>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Scans run one after another: the timer's and scanNow()'s never overlap. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: CheckpointWatcherOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops the timer and waits for a scan in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain.catch(() => undefined);
  }

  /** One scan now (e.g. the final one after the process exited); rejects if it or an onChange fails. */
  scanNow(): Promise<void> {
    const scan = this.chain.catch(() => undefined).then(() => this.scan());
    this.chain = scan;
    return scan;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.scanNow()
        .then(() => (this.lastError = null))
        .catch((error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          this.lastError = failure;
          this.options.onError?.(failure);
        })
        .finally(() => {
          if (this.running) this.schedule();
        });
    }, this.options.intervalMs);
  }

  private async scan(): Promise<void> {
    const states = await scanCheckpoints(this.options.layout, this.options.runDir);
    const present = new Set<string>();
    for (const state of states) {
      const key = `${state.kind}:${state.step}`;
      present.add(key);
      const reportedComplete = this.reported.get(key);
      if (reportedComplete === true || (reportedComplete === false && !state.complete)) continue;
      // Once per checkpoint, when it is whole: its marker is written after every other file.
      if (state.complete)
        state.fingerprint = await checkpointFingerprint(join(this.options.runDir, state.path));
      await this.options.onChange(state);
      this.reported.set(key, state.complete);
    }
    // Rotated away (ckpt.keep_last): forget it, so a new directory of that name is news again.
    for (const key of this.reported.keys()) if (!present.has(key)) this.reported.delete(key);
  }
}
