import {
  RUN_CHANGE_CHANNEL,
  STEP_CHANGE_CHANNEL,
  type RunChangeNotification,
  type StepChangeNotification,
} from '@brier/database';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';

import { ApiConfig } from '../config/api.config.js';

const CONNECT_TIMEOUT_MS = 5_000;
const MAX_RECONNECT_DELAY_MS = 10_000;
export const LIVE_LISTENER_APPLICATION_NAME = 'brier-api-live-listener';

/** Who hears the notifications (the LiveHub). */
export interface LiveNotificationHandler {
  runChanged(change: RunChangeNotification): void;
  stepChanged(change: StepChangeNotification): void;
  /** The connection was lost and is back: notifications sent meanwhile are gone. */
  resync(): void;
  /** Whether anyone is watching: a lost connection is re-opened only then. */
  readonly watching: boolean;
}

/**
 * One `LISTEN brier_run_changes; LISTEN brier_step_changes` connection per API process (the
 * triggers of the live-notify migration send them), however many clients watch. Connects on the
 * first watcher; after a lost connection it reconnects with backoff (1 s doubling to 10 s) while
 * anyone watches, then asks the handler to resync.
 */
@Injectable()
export class LiveListener implements OnModuleDestroy {
  private readonly logger = new Logger('LiveListener');
  private handler: LiveNotificationHandler | undefined;
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 1_000;
  private closed = false;

  constructor(private readonly config: ApiConfig) {}

  attach(handler: LiveNotificationHandler): void {
    this.handler = handler;
  }

  /** Resolves once LISTEN is in place (rejects when Postgres cannot be reached). */
  listening(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the API is shutting down'));
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.DATABASE_URL,
      application_name: LIVE_LISTENER_APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('notification', (message) => this.dispatch(message.channel, message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${RUN_CHANGE_CHANNEL}; LISTEN ${STEP_CHANGE_CHANNEL}`);
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

  private dispatch(channel: string, payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      this.logger.warn(`ignored a malformed ${channel} notification`);
      return;
    }
    if (channel === RUN_CHANGE_CHANNEL) this.handler?.runChanged(parsed as RunChangeNotification);
    else if (channel === STEP_CHANGE_CHANNEL) this.handler?.stepChanged(parsed as StepChangeNotification);
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return; // a connection that never became the listener
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn(`live listener connection lost${error ? `: ${error.message}` : ''}`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || !this.handler?.watching) return;
    this.reconnectTimer = setTimeout(() => {
      this.listening().then(
        () => {
          this.logger.log('live listener reconnected');
          this.handler?.resync();
        },
        (error: unknown) => {
          this.logger.warn(`live listener cannot reconnect: ${(error as Error).message}`);
          this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
