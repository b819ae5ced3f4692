import { Body, Controller, HttpCode, NotFoundException, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { SecretTokenGuard } from '@churn/service-kit';

import { TrafficService } from '../routing/traffic.service';
import { ModelSlotsService } from '../slots/model-slots.service';
import { ReloadRequest, ReloadResponse } from './serving.dto';
import { toSlotStatusDto } from './slot-status.mapper';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin')
@UseGuards(SecretTokenGuard('INFERENCE_ADMIN_TOKEN'))
export class AdminController {
  constructor(
    private readonly slots: ModelSlotsService,
    private readonly traffic: TrafficService,
  ) {}

  @Post('reload')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Re-resolve an alias now (push from registry-admin) and answer with what it serves after the attempt',
    description:
      'A version already serving or loading is not loaded again; a version that failed recently is not retried before its back-off ends (see last_error).',
  })
  @ApiOkResponse({ type: ReloadResponse })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token.' })
  @ApiNotFoundResponse({ description: 'This process does not serve that model or alias.' })
  async reload(@Body() body: ReloadRequest): Promise<ReloadResponse> {
    // Traffic settings first: a push after a champion/challenger move may start the experiment's slots.
    if (body.name === this.slots.modelName) await this.traffic.refresh();
    const statuses = await this.slots.reload(body.name, body.alias, 'admin');
    if (statuses.length === 0) {
      const served = this.slots
        .allSlots()
        .map((slot) => `${slot.name}@${slot.alias}`)
        .join(', ');
      throw new NotFoundException(
        `this process does not serve ${body.name}${body.alias ? `@${body.alias}` : ''}; it serves ${served}`,
      );
    }
    return { name: body.name, slots: statuses.map(toSlotStatusDto) };
  }
}
