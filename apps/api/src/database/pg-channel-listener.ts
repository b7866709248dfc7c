import type { Logger } from '@nestjs/common';
import pg from 'pg';

const CONNECT_TIMEOUT_MS = 5_000;
const FIRST_RECONNECT_DELAY_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 10_000;

export interface PgChannelListenerOptions {
  databaseUrl: string;
  /** Channels to LISTEN on (constants, never user input: LISTEN takes no parameters). */
  channels: readonly string[];
  /** Shown in pg_stat_activity. */
  applicationName: string;
  logger: Logger;
  /** One notification, its JSON payload parsed (a malformed one is logged and dropped). */
  onNotification(channel: string, payload: unknown): void;
  /** The connection was lost and is back: notifications sent meanwhile are gone. */
  onReconnected(): void;
  /** Whether anyone still needs notifications: a lost connection is re-opened only then. */
  wanted(): boolean;
}

/**
 * One dedicated Postgres connection LISTENing on some channels, shared by every client of an API
 * process. Connects on first use; after a lost connection it reconnects with backoff (1 s doubling
 * to 10 s) while it is wanted, then says so (what was notified meanwhile is lost).
 */
export class PgChannelListener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = FIRST_RECONNECT_DELAY_MS;
  private closed = false;

  constructor(private readonly options: PgChannelListenerOptions) {}

  /** Resolves once LISTEN is in place (rejects when Postgres cannot be reached). */
  listening(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the API is shutting down'));
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * For a listener wanted for the life of the process: LISTEN now, and if Postgres cannot be
   * reached, keep trying with the reconnect backoff (then onReconnected says so).
   */
  start(): void {
    this.listening().catch((error: unknown) => {
      this.options.logger.warn(`cannot listen yet: ${(error as Error).message}`);
      this.scheduleReconnect();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: this.options.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('notification', (message) => this.dispatch(message.channel, message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(this.options.channels.map((channel) => `LISTEN ${channel}`).join('; '));
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('the API is shutting down');
    }
    this.client = client;
    this.reconnectDelayMs = FIRST_RECONNECT_DELAY_MS;
  }

  private dispatch(channel: string, payload: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      this.options.logger.warn(`ignored a malformed ${channel} notification`);
      return;
    }
    this.options.onNotification(channel, parsed);
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return; // a connection that never became the listener
    this.client = undefined;
    client.removeAllListeners('notification');
    client.on('error', () => undefined); // the connection is being dropped; its error was logged below
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.options.logger.warn(`listener connection lost${error ? `: ${error.message}` : ''}`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || !this.options.wanted()) return;
    this.reconnectTimer = setTimeout(() => {
      this.listening().then(
        () => {
          this.options.logger.log('listener reconnected');
          this.options.onReconnected();
        },
        (error: unknown) => {
          this.options.logger.warn(`listener cannot reconnect: ${(error as Error).message}`);
          this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
