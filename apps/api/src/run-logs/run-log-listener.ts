import { RUN_LOG_CHANNEL, type RunLogNotification } from '@brier/database';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { PgChannelListener } from '../database/pg-channel-listener.js';

/** Someone following a run's log: told when lines may have arrived. */
export interface RunLogSubscriber {
  readonly runId: string;
  /**
   * New lines were committed (`notification`), or, with none, some may have been while the
   * listener was disconnected: re-read from your cursor.
   */
  wake(notification?: RunLogNotification): void;
  /** End the stream (the API is shutting down). */
  close(): void;
}

/**
 * One `LISTEN brier_run_logs` connection per API process, fanning NOTIFYs out to the live log
 * streams of the notified run (no per-client polling, no connection per client). After a lost
 * connection every subscriber is woken, since notifications sent meanwhile are gone.
 */
@Injectable()
export class RunLogListener implements OnModuleDestroy {
  private readonly subscribers = new Map<string, Set<RunLogSubscriber>>();
  private readonly listener: PgChannelListener;
  private closed = false;

  constructor(config: ApiConfig) {
    this.listener = new PgChannelListener({
      databaseUrl: config.DATABASE_URL,
      channels: [RUN_LOG_CHANNEL],
      applicationName: 'brier-api-log-listener',
      logger: new Logger('RunLogListener'),
      onNotification: (_channel, payload) => {
        const notification = payload as RunLogNotification;
        const set = this.subscribers.get(notification.runId);
        if (set) for (const subscriber of [...set]) subscriber.wake(notification);
      },
      onReconnected: () => {
        for (const set of [...this.subscribers.values()])
          for (const subscriber of [...set]) subscriber.wake();
      },
      wanted: () => this.subscribers.size > 0,
    });
  }

  /** Start delivering to `subscriber` once LISTEN is in place (rejects when Postgres cannot be reached). */
  async subscribe(subscriber: RunLogSubscriber): Promise<() => void> {
    if (this.closed) throw new Error('the API is shutting down');
    await this.listener.listening();
    let set = this.subscribers.get(subscriber.runId);
    if (!set) this.subscribers.set(subscriber.runId, (set = new Set()));
    set.add(subscriber);
    return () => this.unsubscribe(subscriber);
  }

  /** Streams open now (for tests and diagnostics). */
  get subscriberCount(): number {
    let count = 0;
    for (const set of this.subscribers.values()) count += set.size;
    return count;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const set of [...this.subscribers.values()]) for (const subscriber of [...set]) subscriber.close();
    this.subscribers.clear();
    await this.listener.close();
  }

  private unsubscribe(subscriber: RunLogSubscriber): void {
    const set = this.subscribers.get(subscriber.runId);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) this.subscribers.delete(subscriber.runId);
  }
}
