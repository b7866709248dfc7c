import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AgentStatus = 'online' | 'draining' | 'offline';

/** A GPU host's agent. A restarted agent gets a new incarnation: leases of the old one are void. */
@Entity({ name: 'agents' })
export class AgentEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'id' })
  id!: string;

  @Column({ name: 'name', type: 'text', unique: true })
  name!: string;

  @Column({ name: 'hostname', type: 'text' })
  hostname!: string;

  @Column({ name: 'version', type: 'text' })
  version!: string;

  @Column({ name: 'prime_rl_version', type: 'text', nullable: true })
  primeRlVersion!: string | null;

  @Column({ name: 'labels', type: 'text', array: true, default: () => "'{}'" })
  labels!: string[];

  /** GPU inventory as the agent reported it (index, uuid, name, memory, …). */
  @Column({ name: 'gpus', type: 'jsonb', default: () => "'[]'" })
  gpus!: unknown;

  @Column({ name: 'status', type: 'text', default: 'online' })
  status!: AgentStatus;

  @Column({ name: 'incarnation', type: 'uuid' })
  incarnation!: string;

  @Column({ name: 'registered_at', type: 'timestamptz', default: () => 'now()' })
  registeredAt!: Date;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', default: () => 'now()' })
  heartbeatAt!: Date;

  /** The API token that registered the current incarnation (api_tokens.id): its runs are that token's. */
  @Column({ name: 'token_id', type: 'uuid', nullable: true })
  tokenId!: string | null;
}
