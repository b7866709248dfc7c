import { AGENT_LIMITS, type ReportRunEventDto } from '@brier/contracts';

/** A run event as a shipper hands it over; the caller adds the lease token and sends it. */
export type RunEventReport = Omit<ReportRunEventDto, 'leaseToken'>;

export interface SampledEventReporterOptions {
  /** The event type, e.g. `reward-mismatch`. */
  type: string;
  /** Noun for summaries, e.g. `reward mismatch(es)`. */
  what: string;
  emit: (event: RunEventReport) => void;
  /** The first this many occurrences are reported one by one (default 5). */
  individually?: number;
  /** After them, at most one summary event per this interval (default 60 s). */
  summaryIntervalMs?: number;
}

/**
 * Reports a recurring problem without flooding the run's events: the first few occurrences one by
 * one, then a summary at most once per interval (and a last one at close), so that every
 * occurrence is counted in some event and none passes silently.
 */
export class SampledEventReporter {
  private readonly options: SampledEventReporterOptions;
  private readonly individually: number;
  private readonly intervalMs: number;
  private total = 0;
  private unreported = 0;
  private lastData: Record<string, unknown> | null = null;
  private lastEmitAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: SampledEventReporterOptions) {
    this.options = options;
    this.individually = options.individually ?? 5;
    this.intervalMs = options.summaryIntervalMs ?? 60_000;
  }

  get count(): number {
    return this.total;
  }

  report(message: string, data: Record<string, unknown>): void {
    this.total += 1;
    if (this.total <= this.individually) {
      this.emit(message, { ...data, occurrence: this.total });
      return;
    }
    this.unreported += 1;
    this.lastData = data;
    const dueIn = this.lastEmitAt + this.intervalMs - Date.now();
    if (dueIn <= 0) this.summarize();
    else this.timer ??= setTimeout(() => this.summarize(), dueIn).unref();
  }

  /** Report what is still unreported now (at close). */
  summarize(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unreported === 0) return;
    const message = `${this.unreported} more ${this.options.what} (${this.total} in all so far)`;
    this.emit(message, { count: this.unreported, total: this.total, last: this.lastData });
    this.unreported = 0;
    this.lastData = null;
  }

  private emit(message: string, data: Record<string, unknown>): void {
    this.lastEmitAt = Date.now();
    this.options.emit({
      type: this.options.type,
      message: message.slice(0, AGENT_LIMITS.eventMessageMaxLength),
      data,
    });
  }
}
