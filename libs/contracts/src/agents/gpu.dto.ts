import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

import { IsPrintableText } from '../runs/validation/decorators.js';
import { AGENT_LIMITS as L, GPU_UUID_PATTERN } from './agent-limits.js';

const MIB_MAX = 16 * 1024 * 1024; // 16 TiB: far above any GPU, below anything absurd

/** One GPU of an agent's host, as nvidia-smi reports it (inventory at registration, usage in heartbeats). */
export class GpuDto {
  @ApiProperty({
    minimum: 0,
    maximum: L.gpuIndexMax,
    description: 'nvidia-smi index (CUDA_VISIBLE_DEVICES).',
  })
  @IsInt()
  @Min(0)
  @Max(L.gpuIndexMax)
  index!: number;

  @ApiProperty({ example: 'GPU-8f0c5a8e-1b2c-4d5e-8f9a-0b1c2d3e4f5a', pattern: GPU_UUID_PATTERN.source })
  @IsString()
  @Matches(GPU_UUID_PATTERN, { message: '$property must be a GPU UUID as nvidia-smi prints it' })
  uuid!: string;

  @ApiProperty({ example: 'NVIDIA A100-SXM4-80GB', maxLength: 128 })
  @IsString()
  @MaxLength(128)
  @IsPrintableText()
  name!: string;

  @ApiProperty({ minimum: 0, example: 81920 })
  @IsInt()
  @Min(0)
  @Max(MIB_MAX)
  memoryTotalMiB!: number;

  @ApiProperty({ minimum: 0, example: 1024, description: 'In use now, by any process (ours or not).' })
  @IsInt()
  @Min(0)
  @Max(MIB_MAX)
  memoryUsedMiB!: number;

  @ApiProperty({ example: '550.54.15', maxLength: 32 })
  @IsString()
  @MaxLength(32)
  @IsPrintableText()
  driverVersion!: string;

  @ApiPropertyOptional({ example: '12.4', maxLength: 32, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsPrintableText()
  cudaVersion?: string | null;
}
