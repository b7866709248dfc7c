import { hostname } from 'node:os';

import { CommaList, IsHttpUrl, IsRedisUrl, Secret } from '@brier/config';
import { AGENT_LIMITS, LABEL_PATTERN } from '@brier/contracts';
import { ArrayMaxSize, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// A git tag, branch or commit; never starting with "-", so it can't be read as an option.
const GIT_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const NO_WHITESPACE = /^\S+$/;

/** The GPU agent's environment, validated at boot (`loadConfigOrExit(AgentConfig)`). */
export class AgentConfig {
  /** The Brier API this agent registers with and reports to. */
  @IsHttpUrl()
  API_URL: string = 'http://127.0.0.1:3000';

  @IsRedisUrl()
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /** Where runs write their files; every path a job names must stay inside it. */
  @IsString()
  @IsNotEmpty({ message: 'must be a directory path' })
  AGENT_WORK_DIR: string = './.data/agent';

  @Matches(NAME, {
    message: 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  AGENT_NAME: string = hostname();

  /** Comma-separated labels jobs can ask for, e.g. `a100,spot`: the API's rules (LABEL_PATTERN), checked at boot. */
  @CommaList()
  @ArrayMaxSize(AGENT_LIMITS.labelsMax, { message: `must have at most ${AGENT_LIMITS.labelsMax} labels` })
  @Matches(LABEL_PATTERN, {
    each: true,
    message:
      'must be a comma-separated list of lowercase labels (1-63 of a-z, 0-9, ".", "_", "-" each; no spaces)',
  })
  AGENT_LABELS: string[] = [];

  /** An existing prime-rl checkout to use instead of installing PRIME_RL_VERSION. */
  @IsOptional()
  @IsString()
  PRIME_RL_DIR?: string;

  @Matches(GIT_REF, { message: 'must be a git tag or commit, like v0.4.0' })
  PRIME_RL_VERSION: string = 'v0.4.0';

  /** Passed to prime-rl's children only; never logged, never put in a job payload. */
  @IsOptional()
  @Secret()
  @Matches(NO_WHITESPACE, { message: 'must not contain whitespace' })
  HF_TOKEN?: string;

  @IsOptional()
  @Secret()
  @Matches(NO_WHITESPACE, { message: 'must not contain whitespace' })
  WANDB_API_KEY?: string;
}
