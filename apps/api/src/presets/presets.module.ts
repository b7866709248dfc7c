import { Module } from '@nestjs/common';

import { PresetsController } from './presets.controller.js';

/** GET /v1/presets and GET /v1/presets/{name}: the run presets of configs/presets. */
@Module({ controllers: [PresetsController] })
export class PresetsModule {}
