import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

import type { LogStream, RunLogLineView } from '@brier/contracts';
import type { RunLogNotification, RunLogRepository } from '@brier/database';
import type { Logger } from '@nestjs/common';

import { openEventStream } from '../http/event-stream.js';
import type { RunLogSubscriber } from './run-log-listener.js';

/** Lines read per query while catching up. */
const PAGE_LINES = 500;

export interface RunLogFilter {
  attempt?: number;
  stream?: LogStream;
  afterSeq?: number;
}

/** One SSE event: the line's id (commit order) as the event id, the line as JSON data. */
export function formatLogEvent(line: RunLogLineView): string {
  return `id: ${line.id}\ndata: ${JSON.stringify(line)}\n\n`;
}

/**
 * One client following a run's log over Server-Sent Events. It replays the stored lines after its
 * cursor (Last-Event-ID, afterId, or the start), then every line committed later, in id order,
 * with no gap and no repeat: it is subscribed before the first read, and each wake-up reads
 * from its own cursor (several wake-ups during a read coalesce into one more read). A comment
 * line every keepalive interval; ends on client disconnect or API shutdown.
 */
export class RunLogSseSession implements RunLogSubscriber {
  private cursor: string | undefined;
  private dirty = true;
  private pumping = false;
  private closed = false;
  private keepalive: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly runId: string,
    private readonly filter: RunLogFilter,
    afterId: string | undefined,
    private readonly response: ServerResponse,
    private readonly logs: RunLogRepository,
    private readonly logger: Logger,
  ) {
    this.cursor = afterId;
    response.on('close', () => this.close());
  }

  /** Send the headers and start: `subscribe` registers this session with the listener. */
  async start(
    subscribe: (session: RunLogSubscriber) => Promise<() => void>,
    keepaliveMs: number,
  ): Promise<void> {
    this.unsubscribe = await subscribe(this);
    if (this.closed) {
      this.unsubscribe();
      return;
    }
    openEventStream(this.response);
    this.keepalive = setInterval(() => {
      if (!this.closed) this.response.write(': keepalive\n\n');
    }, keepaliveMs);
    this.keepalive.unref();
    this.wake();
  }

  wake(notification?: RunLogNotification): void {
    if (this.closed || (notification && !this.matches(notification))) return;
    this.dirty = true;
    if (!this.pumping) void this.pump();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    this.unsubscribe?.();
    if (!this.response.writableEnded) this.response.end();
  }

  private matches(notification: RunLogNotification): boolean {
    return (
      (this.filter.attempt === undefined || notification.attempt === this.filter.attempt) &&
      (this.filter.stream === undefined || notification.stream === this.filter.stream)
    );
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        const page = await this.logs.page(this.runId, {
          ...this.filter,
          ...(this.cursor === undefined ? {} : { afterId: this.cursor }),
          limit: PAGE_LINES,
        });
        if (this.closed) return;
        if (page.items.length > 0) {
          this.cursor = page.items[page.items.length - 1]!.id;
          if (!this.response.write(page.items.map(formatLogEvent).join(''))) await this.drained();
        }
        if (page.hasMore) this.dirty = true;
      }
    } catch (error) {
      this.logger.warn(`log stream of run ${this.runId} ended: ${(error as Error).message}`);
      this.close();
    } finally {
      this.pumping = false;
    }
  }

  /** Wait for a slow client to take what was written (or to go away). */
  private async drained(): Promise<void> {
    if (this.closed) return;
    await Promise.race([once(this.response, 'drain'), once(this.response, 'close')]);
  }
}
