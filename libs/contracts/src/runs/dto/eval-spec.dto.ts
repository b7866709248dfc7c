import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

import { EVAL_SPEC_DEFAULTS as D } from '../spec-defaults.js';
import { HasExactlyOneOf, IsEndpointUrl, IsHfModelId, OptionalField } from '../validation/decorators.js';
import { ENDPOINT_MODEL_PATTERN, RUN_LIMITS as L } from '../validation/limits.js';
import { EvalDatasetDto } from './dataset.dto.js';
import { RewardDto } from './reward.dto.js';
import { PromptTemplateField, RewardField } from './spec-fields.js';

/** A checkpoint of an earlier training run. */
export class CheckpointRefDto {
  @ApiProperty({ format: 'uuid', description: 'The training run that wrote the checkpoint.' })
  @IsUUID()
  runId!: string;

  @ApiProperty({ minimum: 0, maximum: L.checkpointStepMax, description: 'Its step.' })
  @IsInt()
  @Min(0)
  @Max(L.checkpointStepMax)
  step!: number;
}

/** An OpenAI-compatible server that is already running (needs no GPU of an agent). */
export class EndpointDto {
  @ApiProperty({
    description:
      'Base URL, e.g. http://10.0.0.5:8000/v1: http(s), no credentials (keys live on the agent host).',
    maxLength: L.endpointUrlMaxLength,
    example: 'http://localhost:8000/v1',
  })
  @IsString()
  @MaxLength(L.endpointUrlMaxLength)
  @IsEndpointUrl()
  baseUrl!: string;

  @ApiProperty({
    description: 'The model name the server knows.',
    pattern: ENDPOINT_MODEL_PATTERN.source,
    example: 'google/gemma-2-2b-it',
  })
  @IsString()
  @Matches(ENDPOINT_MODEL_PATTERN, {
    message: `$property must be a model name of letters, digits and . _ : / @ + - without .. (at most ${L.endpointModelMaxLength})`,
  })
  model!: string;
}

export const EVAL_TARGET_KEYS = ['model', 'checkpoint', 'endpoint'] as const;
export type EvalTargetKind = (typeof EVAL_TARGET_KEYS)[number];

/** What answers the questions: exactly one of a model, a checkpoint or an endpoint. */
export class EvalTargetDto {
  @ApiPropertyOptional({ description: 'A Hugging Face model id, served by prime-rl inference on the agent.' })
  @OptionalField()
  @IsHfModelId()
  model?: string;

  @ApiPropertyOptional({
    type: () => CheckpointRefDto,
    description: "A training run's checkpoint, served on the agent.",
  })
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => CheckpointRefDto)
  checkpoint?: CheckpointRefDto;

  @ApiPropertyOptional({
    type: () => EndpointDto,
    description: 'An OpenAI-compatible endpoint that is already up.',
  })
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => EndpointDto)
  endpoint?: EndpointDto;
}

/** Which kind of target an eval spec has (validation guarantees exactly one). */
export function evalTargetKind(target: EvalTargetDto): EvalTargetKind | undefined {
  return EVAL_TARGET_KEYS.find((key) => target[key] !== undefined);
}

/** Score a model, a checkpoint or an endpoint on held-out BoolQ: every question k times. */
export class EvalSpecDto {
  @ApiProperty({ type: () => EvalTargetDto })
  @IsObject()
  @HasExactlyOneOf(EVAL_TARGET_KEYS)
  @ValidateNested()
  @Type(() => EvalTargetDto)
  target!: EvalTargetDto;

  @ApiPropertyOptional({ type: () => EvalDatasetDto })
  @IsObject()
  @ValidateNested()
  @Type(() => EvalDatasetDto)
  dataset!: EvalDatasetDto;

  @ApiPropertyOptional({
    description: 'Samples per question (k).',
    minimum: 1,
    maximum: L.samplesPerQuestionMax,
    default: D.samplesPerQuestion,
  })
  @IsInt()
  @Min(1)
  @Max(L.samplesPerQuestionMax)
  samplesPerQuestion!: number;

  @ApiPropertyOptional({
    description: 'Completion token limit.',
    minimum: 1,
    maximum: L.maxTokensMax,
    default: D.maxTokens,
  })
  @IsInt()
  @Min(1)
  @Max(L.maxTokensMax)
  maxTokens!: number;

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

  @PromptTemplateField(
    'Name of a prompt template in configs/prompts/; use the one the model was trained on.',
    D.promptTemplate,
  )
  promptTemplate!: string;

  @ApiPropertyOptional({
    description: 'Requests in flight at once.',
    minimum: 1,
    maximum: L.concurrencyMax,
    default: D.concurrency,
  })
  @IsInt()
  @Min(1)
  @Max(L.concurrencyMax)
  concurrency!: number;

  @RewardField()
  reward!: RewardDto;
}
