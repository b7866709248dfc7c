import { ApiTokenRepository, hashApiToken, looksLikeApiToken, type ApiTokenRecord } from '@brier/database';
import { Injectable } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';
import type { Principal } from './principal.js';

/** Entries kept at most; past it the oldest go first (a flood of bad tokens cannot grow memory). */
const MAX_CACHED = 10_000;

interface CacheEntry {
  principal: Principal | null;
  expiresAt: number;
}

/**
 * Token → principal, looked up in Postgres by the token's SHA-256 and cached for
 * AUTH_CACHE_TTL_MS (default 2 s) so hot reads (/metrics) skip the lookup. A revoked token stops
 * working at once on every replica (TokenRevocationListener), and within the TTL at worst.
 * Unknown tokens are cached too, so a client retrying a bad token costs one lookup per TTL.
 */
@Injectable()
export class PrincipalResolver {
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped by every forget: a lookup that began before one must not cache what it found. */
  private generation = 0;

  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly config: ApiConfig,
  ) {}

  async resolve(token: string): Promise<Principal | null> {
    if (!looksLikeApiToken(token)) return null;
    const hash = hashApiToken(token);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > now) return cached.principal;
    const generation = this.generation;
    const record = await this.tokens.findActiveByHash(hash);
    const principal = record ? toPrincipal(record) : null;
    // A revocation announced while we looked may postdate what we read: answer, but do not keep it.
    if (generation === this.generation) {
      this.remember(hash, { principal, expiresAt: now + this.config.AUTH_CACHE_TTL_MS });
    }
    return principal;
  }

  /** Drop a token from the cache (revoked: no need to wait for the TTL). */
  forget(tokenId: string): void {
    this.generation += 1;
    for (const [hash, entry] of this.cache) if (entry.principal?.tokenId === tokenId) this.cache.delete(hash);
  }

  /** Drop every entry (revocations may have been missed). */
  forgetAll(): void {
    this.generation += 1;
    this.cache.clear();
  }

  private remember(hash: string, entry: CacheEntry): void {
    if (this.config.AUTH_CACHE_TTL_MS === 0) return;
    this.cache.delete(hash);
    if (this.cache.size >= MAX_CACHED) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(hash, entry);
  }
}

function toPrincipal(record: ApiTokenRecord): Principal {
  return { tokenId: record.id, name: record.name, role: record.role, agentName: record.agentName };
}
