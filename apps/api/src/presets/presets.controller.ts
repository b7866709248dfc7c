import { listPresets, loadPreset, UnknownPresetError } from '@brier/contracts';
import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { apiError } from '../http/api-error.js';
import { ApiErrorDto } from '../http/api-error.dto.js';
import { PresetDto } from './preset.dto.js';
import { READERS, Roles } from '../auth/access.decorators.js';

/**
 * The run presets (configs/presets/*.json, read and checked by @brier/contracts) for the submit
 * form of the admin panel and for clients: each is a valid run request as it stands.
 */
@ApiTags('runs')
@Roles(...READERS)
@Controller({ path: 'presets', version: '1' })
export class PresetsController {
  @Get()
  @ApiOperation({ summary: 'Every run preset, by name' })
  @ApiOkResponse({ type: [PresetDto] })
  list(): PresetDto[] {
    return listPresets();
  }

  @Get(':name')
  @ApiOperation({ summary: 'One run preset' })
  @ApiOkResponse({ type: PresetDto })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'No preset has this name.' })
  get(@Param('name') name: string): PresetDto {
    try {
      return loadPreset(name);
    } catch (error) {
      if (error instanceof UnknownPresetError)
        throw apiError(404, error.message, { available: error.available });
      throw error;
    }
  }
}
