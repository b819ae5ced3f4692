import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { ModelSlotsService } from '../slots/model-slots.service';
import { HealthResponse } from './health.response';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly slots: ModelSlotsService) {}

  @Get()
  @ApiOkResponse({
    type: HealthResponse,
    description: 'The process is alive (200 even before a model is loaded; see /ready).',
  })
  health(): HealthResponse {
    return { status: 'ok', model: this.slots.defaultSlot.current?.label ?? null };
  }
}
