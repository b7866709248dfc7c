import { AGENT_NAME_PATTERN, API_ROLES, TOKEN_NAME_PATTERN, type ApiRole } from '@brier/contracts';
import type { ApiTokenRecord } from '@brier/database';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class CreateTokenDto {
  @ApiProperty({ description: 'Who the token speaks for: runs it submits are owned by this name.' })
  @IsString()
  @Matches(TOKEN_NAME_PATTERN, { message: 'name must be 1-100 letters, digits, ".", "_", "@" or "-"' })
  name!: string;

  @ApiProperty({ enum: API_ROLES })
  @IsIn(API_ROLES, { message: `role must be one of ${API_ROLES.join(', ')}` })
  role!: ApiRole;

  @ApiPropertyOptional({ description: 'Agent tokens only: the one agent name (AGENT_NAME) it may register.' })
  @IsOptional()
  @IsString()
  @Matches(AGENT_NAME_PATTERN, { message: 'agentName must be an agent name (AGENT_NAME)' })
  agentName?: string;
}

export class LoginDto {
  @ApiProperty({ description: 'An API token (brier_…).' })
  @IsString()
  @MaxLength(200)
  token!: string;
}

export class TokenDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: API_ROLES }) role!: ApiRole;
  @ApiProperty({ type: String, nullable: true }) agentName!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty({ type: String, nullable: true }) lastUsedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) revokedAt!: string | null;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({ description: 'The token: shown this once, never stored (only its SHA-256 is).' })
  token!: string;
}

export class SessionDto {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: API_ROLES }) role!: ApiRole;
}

export function toTokenDto(record: ApiTokenRecord): TokenDto {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    agentName: record.agentName,
    createdAt: record.createdAt.toISOString(),
    createdBy: record.createdBy,
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}
