import 'reflect-metadata';

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

import { PRIME_RL_VERSIONS, type PrimeRlVersion } from '../spec-version.js';

/** Which prime-rl schema generation the agent writes the run's TOML for. */
export class PrimeRlDto {
  @ApiPropertyOptional({
    enum: PRIME_RL_VERSIONS,
    default: PRIME_RL_VERSIONS[0],
    description:
      'prime-rl release whose config schema the run uses (v0.4.0: the classic schema the seed ran; v0.6.0: deployment/train.env, 2+ GPUs; main-559b447: prime-rl main with a verifiers v1 taskset, 2+ GPUs, checkpoints not servable).',
  })
  @IsIn(PRIME_RL_VERSIONS)
  version!: PrimeRlVersion;
}
