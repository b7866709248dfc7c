import {
  RUN_CHANGE_CHANNEL,
  STEP_CHANGE_CHANNEL,
  type RunChangeNotification,
  type StepChangeNotification,
} from '@brier/database';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { PgChannelListener } from '../database/pg-channel-listener.js';

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
 * triggers of the live-notify migration send them), however many clients watch; after a lost
 * connection the handler resyncs.
 */
@Injectable()
export class LiveListener implements OnModuleDestroy {
  private handler: LiveNotificationHandler | undefined;
  private readonly listener: PgChannelListener;

  constructor(config: ApiConfig) {
    this.listener = new PgChannelListener({
      databaseUrl: config.DATABASE_URL,
      channels: [RUN_CHANGE_CHANNEL, STEP_CHANGE_CHANNEL],
      applicationName: LIVE_LISTENER_APPLICATION_NAME,
      logger: new Logger('LiveListener'),
      onNotification: (channel, payload) => {
        if (channel === RUN_CHANGE_CHANNEL) this.handler?.runChanged(payload as RunChangeNotification);
        else if (channel === STEP_CHANGE_CHANNEL)
          this.handler?.stepChanged(payload as StepChangeNotification);
      },
      onReconnected: () => this.handler?.resync(),
      wanted: () => this.handler?.watching ?? false,
    });
  }

  attach(handler: LiveNotificationHandler): void {
    this.handler = handler;
  }

  /** Resolves once LISTEN is in place (rejects when Postgres cannot be reached). */
  listening(): Promise<void> {
    return this.listener.listening();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.close();
  }
}
