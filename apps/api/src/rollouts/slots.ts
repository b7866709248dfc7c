/**
 * A counting semaphore: at most `size` holders at once, the others wait in arrival order. Used to
 * bound ingestion sessions and streamed exports, which each hold a database connection for as
 * long as their body or answer takes.
 */
export class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** Resolves with a release function once a slot is free; call it exactly once. */
  async acquire(): Promise<() => void> {
    if (this.used < this.size) this.used += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  /** A release function when a slot is free now; null (without waiting) when none is. */
  tryAcquire(): (() => void) | null {
    if (this.used >= this.size) return null;
    this.used += 1;
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used -= 1;
    };
  }

  /** Run `work` holding a slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
