/**
 * Calls `onStall` once when nothing was touched for `timeoutMs`: a run that writes no console
 * line, log line or rollout for that long is hung (a deadlocked NCCL collective, a stuck vLLM).
 */
export class StallWatchdog {
  private last = Date.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly onStall: () => void,
  ) {}

  touch(): void {
    this.last = Date.now();
  }

  start(): void {
    this.last = Date.now();
    const every = Math.min(5_000, Math.max(100, Math.floor(this.timeoutMs / 4)));
    this.timer = setInterval(() => {
      if (Date.now() - this.last < this.timeoutMs) return;
      this.stop();
      this.onStall();
    }, every);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
