import 'reflect-metadata';

import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { plainToInstance, Transform, type ClassConstructor } from 'class-transformer';
import {
  IsIn,
  IsNotEmpty,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { Type } from 'class-transformer';

import { RUN_KINDS, type RunKind } from '../run-kind.js';
import { withDefaults } from '../spec-defaults.js';
import { IsKnownPreset, IsPrintableText, OptionalField } from '../validation/decorators.js';
import {
  PRESET_NAME_PATTERN,
  RUN_LIMITS as L,
  RUN_NAME_PATTERN,
  RUN_NAME_RULE,
} from '../validation/limits.js';
import { EvalSpecDto } from './eval-spec.dto.js';
import { ImportSpecDto } from './import-spec.dto.js';
import { ResourcesDto } from './resources.dto.js';
import { TrainSpecDto } from './train-spec.dto.js';

export type RunSpecDto = TrainSpecDto | EvalSpecDto | ImportSpecDto;

export const SPEC_CLASSES: { readonly [K in RunKind]: ClassConstructor<RunSpecDto> } = {
  train: TrainSpecDto,
  eval: EvalSpecDto,
  import: ImportSpecDto,
};

export function isRunKind(value: unknown): value is RunKind {
  return typeof value === 'string' && (RUN_KINDS as readonly string[]).includes(value);
}

/**
 * The spec as an instance of the class for `kind`, defaults filled in. Runs inside
 * class-transformer (see `spec` below), so Nest's ValidationPipe and validateRunRequest build
 * the same object. Without a valid kind or an object spec the value is left for validation.
 */
export function toSpecInstance(kind: unknown, spec: unknown): unknown {
  if (!isRunKind(kind) || typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  return plainToInstance(SPEC_CLASSES[kind], withDefaults(kind, spec), { enableImplicitConversion: false });
}

/** The least number of GPUs a run of this kind and spec can run on, and the most. */
function gpuBounds(object: CreateRunDto): { min: number; max: number; why: string } | null {
  switch (object.kind) {
    case 'train':
      return { min: 1, max: L.gpuCountMax, why: 'a train run needs a GPU for vLLM and the trainer' };
    case 'import':
      return { min: 0, max: 0, why: 'an import runs on no GPU' };
    case 'eval': {
      const target = (object.spec as EvalSpecDto | undefined)?.target as unknown;
      const onAgent =
        typeof target === 'object' &&
        target !== null &&
        ((target as Record<string, unknown>)['model'] !== undefined ||
          (target as Record<string, unknown>)['checkpoint'] !== undefined);
      return onAgent
        ? { min: 1, max: L.gpuCountMax, why: 'an eval of a model or checkpoint serves it on a GPU' }
        : null;
    }
    default:
      return null;
  }
}

/** resources.gpuCount fits the run's kind; reported at resources.gpuCount (via the error's context). */
function GpuCountFitsKind(options?: ValidationOptions): PropertyDecorator {
  const problem = (args: ValidationArguments): string | null => {
    const gpuCount = (args.value as Record<string, unknown> | null | undefined)?.['gpuCount'];
    // A count that is not an integer in 0..16 has its own error.
    if (
      typeof gpuCount !== 'number' ||
      !Number.isInteger(gpuCount) ||
      gpuCount < 0 ||
      gpuCount > L.gpuCountMax
    ) {
      return null;
    }
    const bounds = gpuBounds(args.object as CreateRunDto);
    if (bounds === null || (gpuCount >= bounds.min && gpuCount <= bounds.max)) return null;
    const range = bounds.min === bounds.max ? `${bounds.min}` : `at least ${bounds.min}`;
    return `gpuCount must be ${range} (got ${gpuCount}): ${bounds.why}`;
  };
  return ValidateBy(
    {
      name: 'gpuCountFitsKind',
      validator: {
        validate: (_value, args) => problem(args!) === null,
        defaultMessage: (args) => problem(args!) ?? 'gpuCount does not fit the run kind',
      },
    },
    { ...options, context: { subPath: 'gpuCount' } },
  );
}

/**
 * A run request: what a researcher submits through POST /v1/runs, `brier runs submit` or the
 * admin panel. `spec` is validated against the class for `kind` (TrainSpecDto, EvalSpecDto,
 * ImportSpecDto) after that kind's defaults are filled in. A `preset` is merged under the
 * request by resolveRunRequest before validation; here it is only checked to exist.
 */
@ApiExtraModels(TrainSpecDto, EvalSpecDto, ImportSpecDto)
export class CreateRunDto {
  @ApiProperty({
    enum: RUN_KINDS,
    description: 'train: a prime-rl GRPO run; eval: score a model; import: stored results.',
  })
  @IsIn(RUN_KINDS)
  kind!: RunKind;

  @ApiProperty({
    description: `Run name: ${RUN_NAME_RULE}.`,
    minLength: 1,
    maxLength: L.nameMaxLength,
    pattern: RUN_NAME_PATTERN.source,
    example: 'gemma2-2b boolq seed',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(L.nameMaxLength)
  @Matches(RUN_NAME_PATTERN, { message: `$property must be ${RUN_NAME_RULE}` })
  name!: string;

  @ApiPropertyOptional({
    description: 'A preset in configs/presets/ merged under this request (the request wins, field by field).',
    pattern: PRESET_NAME_PATTERN.source,
    example: 'seed-gemma2-2b-boolq',
  })
  @OptionalField()
  @IsString()
  @Matches(PRESET_NAME_PATTERN, { message: '$property must be a preset name: [a-z0-9-], at most 64' })
  @IsKnownPreset()
  preset?: string;

  @ApiPropertyOptional({ description: 'Free text for people.', maxLength: L.descriptionMaxLength })
  @OptionalField()
  @IsString()
  @MaxLength(L.descriptionMaxLength)
  @IsPrintableText()
  description?: string;

  @ApiProperty({ type: () => ResourcesDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ResourcesDto)
  @GpuCountFitsKind()
  resources!: ResourcesDto;

  @ApiProperty({
    description:
      'What the run does; its shape depends on kind (train: TrainSpecDto, eval: EvalSpecDto, import: ImportSpecDto).',
    oneOf: [
      { $ref: getSchemaPath(TrainSpecDto) },
      { $ref: getSchemaPath(EvalSpecDto) },
      { $ref: getSchemaPath(ImportSpecDto) },
    ],
  })
  @ValidateIf((object: CreateRunDto) => isRunKind(object.kind))
  @IsObject()
  @ValidateNested()
  @Transform(
    ({ obj }) =>
      toSpecInstance((obj as Record<string, unknown>)['kind'], (obj as Record<string, unknown>)['spec']),
    {
      toClassOnly: true,
    },
  )
  spec!: RunSpecDto;
}

/** A validated request, narrowed by kind. */
export type ValidRunRequest = CreateRunDto &
  (
    | { kind: 'train'; spec: TrainSpecDto }
    | { kind: 'eval'; spec: EvalSpecDto }
    | { kind: 'import'; spec: ImportSpecDto }
  );
