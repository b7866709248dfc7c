import 'reflect-metadata';

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, Max, Min } from 'class-validator';

import { TRAIN_SPEC_DEFAULTS } from '../spec-defaults.js';
import { RUN_LIMITS } from '../validation/limits.js';

/**
 * The bounds of the reward's length penalty (seed-spec §3): no penalty between
 * lowFraction·maxTokens and highFraction·maxTokens approximate tokens (characters / 4).
 * Checked as a whole with libs/calibration's lengthPenaltyConfigError by the spec that holds it.
 */
export class RewardDto {
  @ApiPropertyOptional({
    description: "The penalty's token budget; defaults to the spec's maxTokens.",
    minimum: 1,
    maximum: RUN_LIMITS.maxTokensMax,
    example: 512,
  })
  @IsInt()
  @Min(1)
  @Max(RUN_LIMITS.maxTokensMax)
  maxTokens!: number;

  @ApiPropertyOptional({
    description: 'Below lowFraction·maxTokens the penalty ramps to −1 at zero length.',
    minimum: 0,
    maximum: 1,
    default: TRAIN_SPEC_DEFAULTS.reward.lowFraction,
  })
  @IsNumber()
  @Min(0)
  @Max(1)
  lowFraction!: number;

  @ApiPropertyOptional({
    description:
      'Above highFraction·maxTokens the penalty ramps to −1 at maxTokens. Must exceed lowFraction.',
    minimum: 0,
    exclusiveMaximum: true,
    maximum: 1,
    default: TRAIN_SPEC_DEFAULTS.reward.highFraction,
  })
  @IsNumber()
  @Min(0)
  @Max(1)
  highFraction!: number;
}
