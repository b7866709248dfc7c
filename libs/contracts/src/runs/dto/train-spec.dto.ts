import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, IsObject, IsPositive, Max, Min, ValidateNested } from 'class-validator';

import { TRAIN_SPEC_DEFAULTS as D } from '../spec-defaults.js';
import {
  IsAtMostProperty,
  IsGreaterThanProperty,
  IsHfModelId,
  IsMultipleOfProperty,
  OptionalField,
  RequiresTrue,
} from '../validation/decorators.js';
import { RUN_LIMITS as L } from '../validation/limits.js';
import { TrainDatasetDto } from './dataset.dto.js';
import { PrimeRlDto } from './prime-rl.dto.js';
import { RewardDto } from './reward.dto.js';
import { PromptTemplateField, RewardField } from './spec-fields.js';

/**
 * A GRPO training run in prime-rl's classic (v0.4) terms. Every field but `model` defaults to the
 * seed's published run (seed-spec §6). Steps are synchronous batches of `batchSize` rollouts:
 * `batchSize / rolloutsPerExample` questions, each answered `rolloutsPerExample` times.
 */
export class TrainSpecDto {
  @ApiProperty({ description: 'Hugging Face model id, owner/name.', example: 'google/gemma-2-2b-it' })
  @IsHfModelId()
  model!: string;

  @ApiPropertyOptional({
    description: 'Optimizer steps.',
    minimum: 1,
    maximum: L.maxStepsMax,
    default: D.maxSteps,
  })
  @IsInt()
  @Min(1)
  @Max(L.maxStepsMax)
  maxSteps!: number;

  @ApiPropertyOptional({
    description: 'Rollouts per step (orchestrator.batch_size); a multiple of rolloutsPerExample.',
    minimum: 1,
    maximum: L.batchSizeMax,
    default: D.batchSize,
  })
  @IsInt()
  @Min(1)
  @Max(L.batchSizeMax)
  @IsMultipleOfProperty('rolloutsPerExample')
  batchSize!: number;

  @ApiPropertyOptional({
    description: 'Rollouts per question, the GRPO group size (orchestrator.rollouts_per_example).',
    minimum: 1,
    maximum: L.rolloutsPerExampleMax,
    default: D.rolloutsPerExample,
  })
  @IsInt()
  @Min(1)
  @Max(L.rolloutsPerExampleMax)
  rolloutsPerExample!: number;

  @ApiPropertyOptional({
    description: 'Completion token limit (orchestrator.sampling.max_tokens).',
    minimum: 1,
    maximum: L.maxTokensMax,
    default: D.maxTokens,
  })
  @IsInt()
  @Min(1)
  @Max(L.maxTokensMax)
  maxTokens!: number;

  @ApiPropertyOptional({
    description: 'Trainer sequence length (prompt + completion); greater than maxTokens.',
    minimum: L.seqLenMin,
    maximum: L.seqLenMax,
    default: D.seqLen,
  })
  @IsInt()
  @Min(L.seqLenMin)
  @Max(L.seqLenMax)
  @IsGreaterThanProperty('maxTokens')
  seqLen!: number;

  @ApiPropertyOptional({
    description: 'Learning rate (trainer.optim.lr), 0 < lr ≤ 1.',
    exclusiveMinimum: true,
    minimum: 0,
    maximum: L.learningRateMax,
    default: D.learningRate,
  })
  @IsNumber()
  @IsPositive()
  @Max(L.learningRateMax)
  learningRate!: number;

  @ApiPropertyOptional({
    description: 'How many steps inference may run ahead of the trainer; 0 = fully on-policy (the seed).',
    minimum: 0,
    maximum: L.maxAsyncLevelMax,
    default: D.maxAsyncLevel,
  })
  @IsInt()
  @Min(0)
  @Max(L.maxAsyncLevelMax)
  maxAsyncLevel!: number;

  @ApiPropertyOptional({
    description: 'Sampling temperature.',
    minimum: 0,
    maximum: L.temperatureMax,
    default: D.temperature,
  })
  @IsNumber()
  @Min(0)
  @Max(L.temperatureMax)
  temperature!: number;

  @PromptTemplateField('Name of a prompt template in configs/prompts/ (without .json).', D.promptTemplate)
  promptTemplate!: string;

  @ApiPropertyOptional({ type: () => TrainDatasetDto })
  @IsObject()
  @ValidateNested()
  @Type(() => TrainDatasetDto)
  dataset!: TrainDatasetDto;

  @RewardField()
  reward!: RewardDto;

  @ApiPropertyOptional({
    description: "Save checkpoints (prime-rl's [ckpt]): the final step, plus every checkpointInterval steps.",
    default: D.checkpoints,
  })
  @IsBoolean()
  checkpoints!: boolean;

  @ApiPropertyOptional({
    description: 'Save a checkpoint every N steps (1..maxSteps), which is what a resumed run restarts from.',
    minimum: 1,
    maximum: L.maxStepsMax,
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @IsAtMostProperty('maxSteps')
  @RequiresTrue('checkpoints')
  checkpointInterval?: number;

  @ApiPropertyOptional({ type: () => PrimeRlDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PrimeRlDto)
  primeRl!: PrimeRlDto;
}
