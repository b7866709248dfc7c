import type { ApiRole } from '@brier/contracts';
import type { DataSource } from 'typeorm';

import { generateApiToken, hashApiToken } from './token-secret.js';

/** A token as listed: everything but the secret (which is never stored). */
export interface ApiTokenRecord {
  id: string;
  name: string;
  role: ApiRole;
  agentName: string | null;
  createdAt: Date;
  createdBy: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreateApiTokenInput {
  name: string;
  role: ApiRole;
  /** Who created it: a token's name, or `cli:<os user>` for the CLI. */
  createdBy: string;
  /** Agent tokens only: the one agent name it may register. */
  agentName?: string | null;
}

/** The new token, in clear this once, and its record. */
export interface CreatedApiToken {
  token: string;
  record: ApiTokenRecord;
}

interface TokenRow {
  id: string;
  name: string;
  role: ApiRole;
  agent_name: string | null;
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, role, agent_name, created_at, created_by, last_used_at, revoked_at';

/** last_used_at is written at most this often per token: a read path must not write every time. */
const LAST_USED_RESOLUTION = '60 seconds';

function toRecord(row: TokenRow): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    agentName: row.agent_name,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** NOTIFY channel of revoked tokens; payload: TokenRevocationNotification as JSON. */
export const TOKEN_REVOCATION_CHANNEL = 'brier_token_revocations';

export interface TokenRevocationNotification {
  tokenId: string;
}

/** api_tokens: create (the token is returned once), list, revoke, and the per-request lookup. */
export class ApiTokenRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(input: CreateApiTokenInput): Promise<CreatedApiToken> {
    const token = generateApiToken();
    const [row] = await this.dataSource.query<TokenRow[]>(
      `INSERT INTO api_tokens (name, role, token_hash, agent_name, created_by)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [input.name, input.role, hashApiToken(token), input.agentName ?? null, input.createdBy],
    );
    if (!row) throw new Error('creating a token returned no row');
    return { token, record: toRecord(row) };
  }

  /** Every token, newest first; revoked ones too unless `activeOnly`. */
  async list(options: { activeOnly?: boolean } = {}): Promise<ApiTokenRecord[]> {
    const rows = await this.dataSource.query<TokenRow[]>(
      `SELECT ${COLUMNS} FROM api_tokens WHERE ($1::boolean IS NOT TRUE OR revoked_at IS NULL)
       ORDER BY created_at DESC, id`,
      [options.activeOnly ?? false],
    );
    return rows.map(toRecord);
  }

  async countActive(role?: ApiRole): Promise<number> {
    const [row] = await this.dataSource.query<{ count: string }[]>(
      `SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL AND ($1::text IS NULL OR role = $1)`,
      [role ?? null],
    );
    return Number(row?.count ?? 0);
  }

  /**
   * Revoke by id; the record (revoked now or before), or null when no token has this id. A
   * revocation is announced on TOKEN_REVOCATION_CHANNEL when it commits (pg_notify per revoked
   * row, in the same statement), so every API replica drops the token from its cache at once.
   */
  async revoke(id: string): Promise<ApiTokenRecord | null> {
    const [row] = await this.dataSource.query<TokenRow[]>(
      `WITH upd AS (
         UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}
       )
       SELECT ${COLUMNS} FROM upd
         CROSS JOIN LATERAL (
           SELECT pg_notify('${TOKEN_REVOCATION_CHANNEL}', json_build_object('tokenId', upd.id)::text)
         ) AS announced
       UNION ALL
       SELECT ${COLUMNS} FROM api_tokens WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM upd)`,
      [id],
    );
    return row ? toRecord(row) : null;
  }

  /**
   * The live (not revoked) token with this hash, or null; notes its use (last_used_at, at most
   * once a minute) in the same statement. Lookup by the unique hash: no secret is compared here.
   */
  async findActiveByHash(tokenHash: string): Promise<ApiTokenRecord | null> {
    const [row] = await this.dataSource.query<TokenRow[]>(
      `WITH found AS (
         SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL
       ),
       touched AS (
         UPDATE api_tokens SET last_used_at = now()
         WHERE id IN (SELECT id FROM found
                      WHERE last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_RESOLUTION}')
       )
       SELECT * FROM found`,
      [tokenHash],
    );
    return row ? toRecord(row) : null;
  }
}
