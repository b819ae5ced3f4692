import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { ServingMetricsService } from './serving-metrics.service';

@ApiTags('model')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ServingMetricsService) {}

  @Get()
  @ApiOperation({
    summary:
      'Prometheus metrics: requests and latency by route, alias, version and status; swaps; swap duration; load failures; loaded version',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format.' })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { contentType, body } = await this.metrics.render();
    reply.type(contentType);
    return body;
  }
}
