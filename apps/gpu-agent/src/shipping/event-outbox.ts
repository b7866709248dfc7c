import { asError } from './as-error.js';
import type { RunEventReport } from './sampled-event-reporter.js';

/**
 * Run events on their way to the caller's sender, one at a time and in order, off the shipping
 * path. A failed delivery is kept and thrown by the next delivered() (never swallowed).
 */
export class EventOutbox {
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(private readonly send: (event: RunEventReport) => Promise<void> | void) {}

  post(event: RunEventReport): void {
    this.chain = this.chain.then(async () => {
      try {
        await this.send(event);
      } catch (error) {
        this.failure ??= asError(error);
      }
    });
  }

  /** Resolves once every event posted so far was handed over; throws its first failure, or at the deadline. */
  async delivered(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.chain.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs)))),
    ]);
    clearTimeout(timer);
    if (!done) throw new Error(`run events not delivered within ${timeoutMs} ms`);
    const failure = this.failure;
    this.failure = null;
    if (failure !== null) throw failure;
  }
}
