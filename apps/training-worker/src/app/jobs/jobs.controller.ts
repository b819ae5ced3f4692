import { Body, Controller, Get, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { CallerName, RequireRoles } from '@churn/service-kit';

import { CreateJobDto, ListJobsQuery } from './create-job.dto';
import { JobListResponse, JobResponse } from './job.response';
import { JobsService } from './jobs.service';

interface StatusReply {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

@ApiTags('jobs')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No bearer token, an unknown one, or API_TOKENS is empty.' })
@ApiForbiddenResponse({ description: 'The token lacks the role the endpoint needs.' })
@ApiServiceUnavailableResponse({
  description: 'MLflow is unreachable, timing out, failing or rate limiting (Retry-After).',
})
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @RequireRoles('trainer')
  @ApiAcceptedResponse({ type: JobResponse, description: 'The job was queued; its id is its MLflow run id.' })
  @ApiOkResponse({
    type: JobResponse,
    description: 'A job with this idempotency_key exists already: that job (header Idempotent-Replayed: true).',
  })
  @ApiBadRequestResponse({ description: 'A field is invalid; the message names it.' })
  async create(
    @Body() body: CreateJobDto,
    @CallerName() actor: string,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<JobResponse> {
    const { job, created } = await this.jobs.submit(body, actor);
    reply.status(created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    if (!created) reply.header('Idempotent-Replayed', 'true');
    return job;
  }

  @Get()
  @RequireRoles('viewer', 'trainer', 'deployer')
  @ApiOkResponse({ type: JobListResponse, description: 'Recent jobs of the experiment, newest first.' })
  async list(@Query() query: ListJobsQuery): Promise<JobListResponse> {
    return { jobs: await this.jobs.list(query) };
  }

  @Get(':id')
  @RequireRoles('viewer', 'trainer', 'deployer')
  @ApiOkResponse({ type: JobResponse, description: 'Status, progress, metrics, gate result and registered version.' })
  @ApiNotFoundResponse({ description: 'No training job has this id.' })
  get(@Param('id') id: string): Promise<JobResponse> {
    return this.jobs.get(id);
  }
}
