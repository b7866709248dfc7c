import type { DataSource } from 'typeorm';

import { isUuid } from '../uuid.js';

/** Whether an agent token may act on a run: `missing` lets the route answer its own 404. */
export type RunReach = 'missing' | 'reachable' | 'unreachable';

/**
 * The questions the API's guard asks about an agent token (agents.token_id): which agents are
 * its own, and whether a run was ever leased to one of them. "Ever" rather than "now": a late
 * write of a lost lease must reach the lease fence and get its 409, not a 403.
 */
export class AgentAccessRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The token of the agent's current registration: undefined when there is no such agent. */
  async agentTokenId(agentId: string): Promise<string | null | undefined> {
    if (!isUuid(agentId)) return undefined;
    const [row] = await this.dataSource.query<{ token_id: string | null }[]>(
      `SELECT token_id FROM agents WHERE id = $1`,
      [agentId],
    );
    return row === undefined ? undefined : row.token_id;
  }

  /**
   * Whether another live token holds the agent name (registered its current incarnation): then
   * registering the name would void that agent's leases, which only its own token or an admin may do.
   */
  async nameHeldByAnotherToken(name: string, tokenId: string): Promise<boolean> {
    const [row] = await this.dataSource.query<{ held: boolean }[]>(
      `SELECT EXISTS (
         SELECT 1 FROM agents a JOIN api_tokens t ON t.id = a.token_id
         WHERE a.name = $1 AND t.id <> $2 AND t.revoked_at IS NULL AND t.role = 'agent'
       ) AS held`,
      [name, tokenId],
    );
    return row?.held ?? false;
  }

  async runReach(runId: string, tokenId: string): Promise<RunReach> {
    if (!isUuid(runId)) return 'missing';
    const [row] = await this.dataSource.query<{ run: boolean; leased: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1) AS run,
              EXISTS (SELECT 1 FROM run_attempts ra JOIN agents a ON a.id = ra.agent_id
                      WHERE ra.run_id = $1 AND a.token_id = $2) AS leased`,
      [runId, tokenId],
    );
    if (!row?.run) return 'missing';
    return row.leased ? 'reachable' : 'unreachable';
  }

  /** Who owns a run (runs.created_by): undefined when there is no such run. */
  async runOwner(runId: string): Promise<string | null | undefined> {
    if (!isUuid(runId)) return undefined;
    const [row] = await this.dataSource.query<{ created_by: string | null }[]>(
      `SELECT created_by FROM runs WHERE id = $1`,
      [runId],
    );
    return row === undefined ? undefined : row.created_by;
  }
}
