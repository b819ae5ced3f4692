import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { ModelSlotsService } from '../slots/model-slots.service';
import { ServingHealthResponse } from './health.response';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly slots: ModelSlotsService) {}

  @Get()
  @ApiOkResponse({
    type: ServingHealthResponse,
    description: 'The process is alive (200 even before a model is loaded; see /ready).',
  })
  health(): ServingHealthResponse {
    return { status: 'ok', model: this.slots.defaultSlot.current?.label ?? null };
  }
}
