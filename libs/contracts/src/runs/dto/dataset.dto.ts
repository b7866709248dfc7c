import 'reflect-metadata';

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, Max, Min } from 'class-validator';

import { EVAL_SPEC_DEFAULTS, TRAIN_SPEC_DEFAULTS } from '../spec-defaults.js';
import { Forbidden, OptionalField } from '../validation/decorators.js';
import { RUN_LIMITS } from '../validation/limits.js';

export const DATASET_NAMES = ['boolq'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const DATASET_SPLITS = ['train', 'validation'] as const;
export type DatasetSplit = (typeof DATASET_SPLITS)[number];

const PATH_NOT_SUPPORTED =
  'is not supported yet: datasets are read from the agent host data directory, by name and split';

/** The questions a training run samples from (the seed: BoolQ train, balanced with seed 42). */
export class TrainDatasetDto {
  @ApiPropertyOptional({ enum: DATASET_NAMES, default: TRAIN_SPEC_DEFAULTS.dataset.name })
  @IsIn(DATASET_NAMES)
  name!: DatasetName;

  @ApiPropertyOptional({ enum: DATASET_SPLITS, default: TRAIN_SPEC_DEFAULTS.dataset.split })
  @IsIn(DATASET_SPLITS)
  split!: DatasetSplit;

  @ApiPropertyOptional({
    description:
      'Balance YES and NO by taking the first n of each class after a seeded shuffle (the seed did).',
    default: TRAIN_SPEC_DEFAULTS.dataset.balance,
  })
  @IsBoolean()
  balance!: boolean;

  @ApiPropertyOptional({
    description: 'Shuffle seed.',
    minimum: 0,
    maximum: RUN_LIMITS.datasetSeedMax,
    default: TRAIN_SPEC_DEFAULTS.dataset.seed,
  })
  @IsInt()
  @Min(0)
  @Max(RUN_LIMITS.datasetSeedMax)
  seed!: number;

  @ApiPropertyOptional({ type: String, description: `Reserved; ${PATH_NOT_SUPPORTED}.`, deprecated: true })
  @Forbidden(PATH_NOT_SUPPORTED)
  path?: string;
}

/** The held-out questions an eval run asks (default: all of BoolQ validation, in seeded order). */
export class EvalDatasetDto {
  @ApiPropertyOptional({ enum: DATASET_NAMES, default: EVAL_SPEC_DEFAULTS.dataset.name })
  @IsIn(DATASET_NAMES)
  name!: DatasetName;

  @ApiPropertyOptional({ enum: DATASET_SPLITS, default: EVAL_SPEC_DEFAULTS.dataset.split })
  @IsIn(DATASET_SPLITS)
  split!: DatasetSplit;

  @ApiPropertyOptional({
    description: 'Ask only this many questions (a seeded sample); all of the split when absent.',
    minimum: 1,
    maximum: RUN_LIMITS.evalLimitMax,
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(RUN_LIMITS.evalLimitMax)
  limit?: number;

  @ApiPropertyOptional({
    description: 'Seed of the question sample and order.',
    minimum: 0,
    maximum: RUN_LIMITS.datasetSeedMax,
    default: EVAL_SPEC_DEFAULTS.dataset.seed,
  })
  @IsInt()
  @Min(0)
  @Max(RUN_LIMITS.datasetSeedMax)
  seed!: number;

  @ApiPropertyOptional({ type: String, description: `Reserved; ${PATH_NOT_SUPPORTED}.`, deprecated: true })
  @Forbidden(PATH_NOT_SUPPORTED)
  path?: string;
}
