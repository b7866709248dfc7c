import { Injectable } from '@nestjs/common';

import { ApiConfig } from '../config/api.config.js';

/** Heartbeats a run may miss before the reaper declares it lost (reliability.md §2.9: several, not one). */
export const MISSED_HEARTBEATS = 3;

/** The agents' clock, from the configuration: one place for the interval and the lease timeout. */
@Injectable()
export class AgentTiming {
  /** How often an agent heartbeats (told at registration and on every heartbeat). */
  readonly heartbeatIntervalMs: number;
  /** A running run whose last heartbeat is older than this is lost; an agent is offline. */
  readonly leaseTimeoutMs: number;

  /** How long the reaper holds off after the API starts or Postgres comes back. */
  readonly reaperGraceMs: number;

  constructor(config: ApiConfig) {
    this.heartbeatIntervalMs = config.AGENT_HEARTBEAT_INTERVAL_MS;
    this.leaseTimeoutMs = MISSED_HEARTBEATS * config.AGENT_HEARTBEAT_INTERVAL_MS;
    this.reaperGraceMs = config.REAPER_GRACE_MS ?? this.leaseTimeoutMs;
  }
}
