import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';

import { LABEL_PATTERN } from '../runs/validation/limits.js';
import { AGENT_LIMITS as L, AGENT_NAME_PATTERN, HOSTNAME_PATTERN, VERSION_PATTERN } from './agent-limits.js';
import { GpuDto } from './gpu.dto.js';

/** `POST /v1/agents/register`: an agent process starting (every start is a new incarnation). */
export class RegisterAgentDto {
  @ApiProperty({
    description: 'Unique in the fleet; re-registering a name replaces its previous incarnation.',
    pattern: AGENT_NAME_PATTERN.source,
    example: 'gpu-host-01',
  })
  @IsString()
  @Matches(AGENT_NAME_PATTERN, {
    message: '$property must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({ pattern: HOSTNAME_PATTERN.source, example: 'gpu-host-01.internal' })
  @IsString()
  @Matches(HOSTNAME_PATTERN, { message: '$property must be a host name' })
  hostname!: string;

  @ApiProperty({ description: "The agent's own version.", example: '0.1.0' })
  @IsString()
  @Matches(VERSION_PATTERN, { message: '$property must be a version such as 0.1.0' })
  version!: string;

  @ApiPropertyOptional({ description: 'The prime-rl it drives; null when it has none.', example: 'v0.4.0' })
  @IsOptional()
  @IsString()
  @Matches(VERSION_PATTERN, { message: '$property must be a version or git ref such as v0.4.0' })
  primeRlVersion?: string | null;

  @ApiProperty({ type: [String], description: 'Labels runs can require.', example: ['a100', 'spot'] })
  @IsArray()
  @ArrayMaxSize(L.labelsMax)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(LABEL_PATTERN, { each: true, message: '$property must each be 1 to 63 characters of [a-z0-9._-]' })
  labels!: string[];

  @ApiProperty({ type: () => [GpuDto], description: 'GPU inventory (empty on a host without nvidia-smi).' })
  @IsArray()
  @ArrayMaxSize(L.gpusMax)
  @ArrayUnique((gpu: GpuDto) => gpu?.index, { message: '$property must not repeat a GPU index' })
  @ValidateNested({ each: true })
  @Type(() => GpuDto)
  gpus!: GpuDto[];
}

export interface RegisterAgentResponse {
  agentId: string;
  /** Present it on every heartbeat and claim; a new one on every registration. */
  incarnation: string;
  /** Heartbeat this often. */
  heartbeatIntervalMs: number;
  /** A run whose heartbeat is older than this is lost and re-queued (3 × the interval). */
  leaseTimeoutMs: number;
  /** Runs that were leased to this name's previous incarnation: now lost, to be re-queued. */
  voidedRunIds: string[];
}
