import { TOKEN_REVOCATION_CHANNEL, type TokenRevocationNotification } from '@brier/database';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import { PgChannelListener } from '../database/pg-channel-listener.js';
import { PrincipalResolver } from './principal-resolver.js';

/**
 * Revocations reach every replica's token cache at once: `LISTEN brier_token_revocations` (sent by
 * ApiTokenRepository.revoke, from the API or the CLI) drops the token from PrincipalResolver's
 * cache. While the connection is down, the cache's TTL (AUTH_CACHE_TTL_MS) still bounds how long a
 * revoked token works; after a reconnect the whole cache goes, since notifications were missed.
 */
@Injectable()
export class TokenRevocationListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TokenRevocationListener.name);
  private readonly listener: PgChannelListener;

  constructor(config: ApiConfig, resolver: PrincipalResolver) {
    this.listener = new PgChannelListener({
      databaseUrl: config.DATABASE_URL,
      channels: [TOKEN_REVOCATION_CHANNEL],
      applicationName: 'brier-api-token-listener',
      logger: this.logger,
      onNotification: (_channel, payload) => {
        const { tokenId } = payload as TokenRevocationNotification;
        if (typeof tokenId === 'string') resolver.forget(tokenId);
      },
      onReconnected: () => resolver.forgetAll(),
      wanted: () => true,
    });
  }

  /** Until LISTEN is in place (retried with backoff), a revoked token works here for up to the TTL. */
  onApplicationBootstrap(): void {
    this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.close();
  }
}
