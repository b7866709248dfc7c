import { RUN_KINDS, type RunKind, type RunPreset } from '@brier/contracts';
import { ApiProperty } from '@nestjs/swagger';

/** A preset of configs/presets: what POST /v1/runs merges under a request that names it. */
export class PresetDto implements RunPreset {
  @ApiProperty({ example: 'smoke-tiny', description: 'Pass as `preset` in POST /v1/runs.' })
  name!: string;

  @ApiProperty({ description: 'What the preset is for, for people.' })
  description!: string;

  @ApiProperty({ enum: RUN_KINDS })
  kind!: RunKind;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Resources as written in the preset (gpuCount, gpuType, labels); defaults not filled in.',
  })
  resources!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The spec as written in the preset (a request overrides any field of it).',
  })
  spec!: Record<string, unknown>;
}
