import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

import { BusinessRead } from '../http/business-read.guard';
import { DriftMonitorService } from './drift-monitor.service';
import { DriftQuery, DriftReportResponse } from './drift.dto';

@ApiTags('drift')
@Controller('drift')
export class DriftController {
  constructor(private readonly monitor: DriftMonitorService) {}

  @Get()
  @BusinessRead()
  @ApiOperation({
    summary:
      "Drift of the live inputs against the version's training statistics: per-feature verdicts, the dataset verdict, window and alerts",
  })
  @ApiOkResponse({ type: DriftReportResponse })
  @ApiBadRequestResponse({ description: 'version is not a version number.' })
  @ApiNotFoundResponse({ description: 'This replica neither serves nor has seen the version.' })
  @ApiServiceUnavailableResponse({ description: 'No version loaded yet.' })
  report(@Query() query: DriftQuery): DriftReportResponse {
    return this.monitor.report(query.version);
  }
}
