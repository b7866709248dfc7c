import type { ApiRole } from '@brier/contracts';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An API token: only its SHA-256 is stored (docs/security.md); ApiTokenRepository reads and writes it. */
@Entity({ name: 'api_tokens' })
export class ApiTokenEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'id' })
  id!: string;

  /** Who the token speaks for: runs it submits are owned by this name. */
  @Column({ name: 'name', type: 'text' })
  name!: string;

  @Column({ name: 'role', type: 'text' })
  role!: ApiRole;

  /** SHA-256 of the token, hex. */
  @Column({ name: 'token_hash', type: 'text', unique: true })
  tokenHash!: string;

  /** Agent tokens only: the one agent name it may register; null for any. */
  @Column({ name: 'agent_name', type: 'text', nullable: true })
  agentName!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
