import { RUN_LOG_CHANNEL, type RunLogNotification } from '@brier/database';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';

import { ApiConfig } from '../config/api.config.js';

const CONNECT_TIMEOUT_MS = 5_000;
const MAX_RECONNECT_DELAY_MS = 10_000;

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
 * streams of the notified run (no per-client polling, no connection per client). Connects on the
 * first subscription; after a lost connection it reconnects with backoff (1 s doubling to 10 s)
 * while anyone listens, then wakes every subscriber, since notifications sent meanwhile are gone.
 */
@Injectable()
export class RunLogListener implements OnModuleDestroy {
  private readonly logger = new Logger('RunLogListener');
  private readonly subscribers = new Map<string, Set<RunLogSubscriber>>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 1_000;
  private closed = false;

  constructor(private readonly config: ApiConfig) {}

  /** Start delivering to `subscriber` once LISTEN is in place (rejects when Postgres cannot be reached). */
  async subscribe(subscriber: RunLogSubscriber): Promise<() => void> {
    if (this.closed) throw new Error('the API is shutting down');
    await this.connect();
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
    clearTimeout(this.reconnectTimer);
    for (const set of [...this.subscribers.values()]) for (const subscriber of [...set]) subscriber.close();
    this.subscribers.clear();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private unsubscribe(subscriber: RunLogSubscriber): void {
    const set = this.subscribers.get(subscriber.runId);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) this.subscribers.delete(subscriber.runId);
  }

  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.DATABASE_URL,
      application_name: 'brier-api-log-listener',
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('notification', (message) => this.dispatch(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${RUN_LOG_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('the API is shutting down');
    }
    this.client = client;
    this.reconnectDelayMs = 1_000;
  }

  private dispatch(payload: string | undefined): void {
    let notification: RunLogNotification;
    try {
      notification = JSON.parse(payload ?? '') as RunLogNotification;
    } catch {
      this.logger.warn(`ignored a malformed ${RUN_LOG_CHANNEL} notification`);
      return;
    }
    const set = this.subscribers.get(notification.runId);
    if (set) for (const subscriber of [...set]) subscriber.wake(notification);
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return; // a connection that never became the listener
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn(`log listener connection lost${error ? `: ${error.message}` : ''}`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.subscribers.size === 0) return;
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => {
          this.logger.log('log listener reconnected');
          for (const set of [...this.subscribers.values()])
            for (const subscriber of [...set]) subscriber.wake();
        },
        (error: unknown) => {
          this.logger.warn(`log listener cannot reconnect: ${(error as Error).message}`);
          this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
