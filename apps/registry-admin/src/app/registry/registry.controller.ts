import { Body, Controller, Delete, Get, HttpStatus, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { CallerName, RequireRoles } from '@churn/service-kit';

import type { AuditPage } from './alias-audit.store';
import { AliasMovesService, type MoveResult } from './alias-moves.service';
import { HistoryQuery, PromoteBody, ReasonQuery, RollbackBody, SetAliasBody, TrafficBody } from './dto/requests.dto';
import {
  AliasView,
  DeletedVersionView,
  HistoryResponse,
  ModelSummaryDto,
  MoveResponse,
  TrafficChangeView,
  TrafficView,
  VersionViewDto,
} from './dto/responses.dto';
import {
  ModelRegistryService,
  type ModelSummary,
  type TrafficSettings,
  type VersionView,
} from './model-registry.service';
import { checkReason, parseVersionNumber } from './request-fields';
import { TrafficChangesService, type TrafficChange } from './traffic-changes.service';

interface StatusReply {
  status(code: number): unknown;
}

const PENDING_AUDIT = {
  type: MoveResponse,
  description:
    'The alias moved and the push went out, but MLflow failed before the audit record was settled (`audit: "pending"`, `audit_error`); registry-admin writes it later.',
};

/** 200 for a move whose record is settled, 202 while its record is still pending. */
function answerMove(reply: StatusReply, result: MoveResult): MoveResult {
  reply.status(result.audit === 'pending' ? HttpStatus.ACCEPTED : HttpStatus.OK);
  return result;
}

@ApiTags('models')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No bearer token, or an unknown one.' })
@ApiForbiddenResponse({ description: 'The token lacks the role.' })
@ApiServiceUnavailableResponse({
  description:
    'MLflow is unreachable: nothing was changed; or, for a move, MLflow failed mid-change (`alias_moved: "unknown"`, the audit record pending, the push sent).',
})
@Controller('models')
export class RegistryController {
  constructor(
    private readonly registry: ModelRegistryService,
    private readonly moves: AliasMovesService,
    private readonly traffic: TrafficChangesService,
  ) {}

  @Get()
  @RequireRoles('viewer')
  @ApiOperation({ summary: 'Registered models with their aliases' })
  @ApiOkResponse({ type: [ModelSummaryDto] })
  listModels(): Promise<ModelSummary[]> {
    return this.registry.listModels();
  }

  @Get(':name/versions')
  @RequireRoles('viewer')
  @ApiOperation({ summary: "A model's versions, newest first, with metrics, tags, source run and aliases" })
  @ApiOkResponse({ type: [VersionViewDto] })
  @ApiNotFoundResponse({ description: 'Unknown model.' })
  listVersions(@Param('name') name: string): Promise<VersionView[]> {
    return this.registry.listVersions(name);
  }

  @Delete(':name/versions/:version')
  @RequireRoles('deployer')
  @ApiOperation({ summary: 'Delete a version (refused while an alias points to it)' })
  @ApiOkResponse({ type: DeletedVersionView })
  @ApiConflictResponse({ description: 'An alias points to the version.' })
  deleteVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @Query() query: ReasonQuery,
    @CallerName() actor: string,
  ): Promise<DeletedVersionView> {
    return this.registry.deleteVersion(name, parseVersionNumber(version, 'version'), actor, checkReason(query.reason));
  }

  @Get(':name/aliases/:alias')
  @RequireRoles('viewer')
  @ApiOperation({ summary: 'The version an alias points to' })
  @ApiOkResponse({ type: AliasView })
  @ApiNotFoundResponse({ description: 'Unknown model, or the alias is not set.' })
  getAlias(@Param('name') name: string, @Param('alias') alias: string): Promise<AliasView> {
    return this.registry.getAlias(name, alias);
  }

  @Put(':name/aliases/:alias')
  @RequireRoles('deployer')
  @ApiOperation({ summary: 'Point an alias at a version (gated aliases pass the promotion gates)' })
  @ApiOkResponse({ type: MoveResponse })
  @ApiAcceptedResponse(PENDING_AUDIT)
  @ApiConflictResponse({ description: 'A gate refused the version, or the alias already points there.' })
  async setAlias(
    @Param('name') name: string,
    @Param('alias') alias: string,
    @Body() body: SetAliasBody,
    @CallerName() actor: string,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<MoveResult> {
    const result = await this.moves.setAlias({
      model: name,
      alias,
      version: body.version,
      force: body.force,
      reason: body.reason,
      actor,
    });
    return answerMove(reply, result);
  }

  @Delete(':name/aliases/:alias')
  @RequireRoles('deployer')
  @ApiOperation({ summary: 'Remove an alias (audited; a rollback cannot start from an unset alias)' })
  @ApiOkResponse({ type: MoveResponse })
  @ApiAcceptedResponse(PENDING_AUDIT)
  async deleteAlias(
    @Param('name') name: string,
    @Param('alias') alias: string,
    @Query() query: ReasonQuery,
    @CallerName() actor: string,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<MoveResult> {
    return answerMove(reply, await this.moves.deleteAlias({ model: name, alias, reason: query.reason, actor }));
  }

  @Post(':name/promote')
  @RequireRoles('deployer')
  @ApiOperation({ summary: 'Promote a version (default: latest gate_passed=true) to an alias (default MODEL_ALIAS)' })
  @ApiOkResponse({ type: MoveResponse })
  @ApiAcceptedResponse(PENDING_AUDIT)
  @ApiConflictResponse({ description: 'Gate refusal (with the reasons), or nothing to promote.' })
  async promote(
    @Param('name') name: string,
    @Body() body: PromoteBody,
    @CallerName() actor: string,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<MoveResult> {
    const result = await this.moves.promote({
      model: name,
      alias: body.alias,
      to: body.to,
      force: body.force,
      reason: body.reason,
      actor,
    });
    return answerMove(reply, result);
  }

  @Post(':name/rollback')
  @RequireRoles('deployer')
  @ApiOperation({ summary: "Undo the alias's last move (or go to an explicit version); never gated" })
  @ApiOkResponse({ type: MoveResponse })
  @ApiAcceptedResponse(PENDING_AUDIT)
  @ApiConflictResponse({ description: 'No earlier holder, alias not set, or the earlier holder was deleted.' })
  async rollback(
    @Param('name') name: string,
    @Body() body: RollbackBody,
    @CallerName() actor: string,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<MoveResult> {
    const result = await this.moves.rollback({
      model: name,
      alias: body.alias,
      to: body.to,
      reason: body.reason,
      actor,
    });
    return answerMove(reply, result);
  }

  @Get(':name/history')
  @RequireRoles('viewer')
  @ApiOperation({ summary: 'Alias audit, newest first, paginated' })
  @ApiOkResponse({ type: HistoryResponse })
  history(@Param('name') name: string, @Query() query: HistoryQuery): Promise<AuditPage> {
    return this.moves.history(name, { alias: query.alias, pageToken: query.page_token, maxResults: query.max_results });
  }

  @Get(':name/traffic')
  @RequireRoles('viewer')
  @ApiOperation({ summary: 'Champion/challenger traffic settings (registered-model tags)' })
  @ApiOkResponse({ type: TrafficView })
  getTraffic(@Param('name') name: string): Promise<TrafficSettings> {
    return this.registry.getTraffic(name);
  }

  @Put(':name/traffic')
  @RequireRoles('deployer')
  @ApiOperation({
    summary:
      'Set champion/challenger traffic settings; fields left out keep their value. Pushed to every inference-api replica, as alias moves are.',
  })
  @ApiOkResponse({ type: TrafficChangeView })
  @ApiConflictResponse({
    description:
      'A share above CHALLENGER_SHARE_CAP without a challenger, or one the promotion gates refuse (force with a reason overrides).',
  })
  setTraffic(
    @Param('name') name: string,
    @Body() body: TrafficBody,
    @CallerName() actor: string,
  ): Promise<TrafficChange> {
    return this.traffic.set(name, body, actor);
  }
}
