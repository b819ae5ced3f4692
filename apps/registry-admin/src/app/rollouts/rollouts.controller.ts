import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { CallerName, RequireRoles } from '@churn/service-kit';

import { planOf } from './rollout-plan';
import type { RolloutState } from './rollout-state';
import { AbortRolloutBody, StartRolloutBody } from './rollouts.dto';
import { RolloutsService } from './rollouts.service';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('models/:name/rollouts')
export class RolloutsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Post()
  @RequireRoles('deployer')
  @ApiOperation({
    summary:
      'Start a staged rollout of a version: gates first, then each step gives it a share of all traffic and advances only when the guards pass; the last step promotes it',
  })
  @ApiCreatedResponse({ description: 'The rollout, running; follow it with GET .../rollouts/{id}.' })
  @ApiConflictResponse({
    description: 'A rollout of the model is under way, a gate refused the version, or it already serves.',
  })
  start(
    @Param('name') name: string,
    @Body() body: StartRolloutBody,
    @CallerName() actor: string,
  ): Promise<RolloutState> {
    return this.rollouts.start({ model: name, to: body.to, plan: planOf(body), reason: body.reason, actor });
  }

  @Get(':id')
  @RequireRoles('viewer')
  @ApiOperation({ summary: "A rollout's state, each step's figures and verdicts" })
  @ApiOkResponse({ description: 'The rollout.' })
  @ApiNotFoundResponse({ description: 'Unknown model or rollout.' })
  get(@Param('name') name: string, @Param('id') id: string): Promise<RolloutState> {
    return this.rollouts.get(name, id);
  }

  @Post(':id/abort')
  @HttpCode(200)
  @RequireRoles('deployer')
  @ApiOperation({ summary: 'Revert a running rollout at once (share 0, pushed, challenger cleared, audited)' })
  @ApiOkResponse({
    description: 'The rollout once ended: aborted, unless its end was already under way (a revert, or its promotion).',
  })
  @ApiConflictResponse({ description: 'The rollout has already ended.' })
  abort(
    @Param('name') name: string,
    @Param('id') id: string,
    @Body() body: AbortRolloutBody,
    @CallerName() actor: string,
  ): Promise<RolloutState> {
    return this.rollouts.abort(name, id, actor, body.reason);
  }
}
