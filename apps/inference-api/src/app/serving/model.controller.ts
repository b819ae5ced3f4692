import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { BusinessRead } from '../http/business-read.guard';
import { ModelNotReadyError } from '../model/model-errors';
import { ModelSlotsService } from '../slots/model-slots.service';
import { ModelInfoResponse, ReadyResponse } from './serving.dto';
import { toSlotStatusDto } from './slot-status.mapper';

@ApiTags('model')
@Controller()
export class ModelController {
  constructor(private readonly slots: ModelSlotsService) {}

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: 200 once the configured alias has a loaded version, else 503; per-slot details either way',
  })
  @ApiOkResponse({ type: ReadyResponse })
  @ApiServiceUnavailableResponse({ type: ReadyResponse })
  ready(@Res({ passthrough: true }) reply: FastifyReply): ReadyResponse {
    const ready = this.slots.defaultSlot.current !== undefined;
    reply.status(ready ? 200 : 503);
    return { ready, slots: this.slots.allSlots().map((slot) => toSlotStatusDto(slot.status())) };
  }

  @Get('model')
  @BusinessRead()
  @ApiOperation({ summary: 'The version the configured alias serves: run, metrics, load time, source, signature' })
  @ApiOkResponse({ type: ModelInfoResponse })
  @ApiServiceUnavailableResponse({ description: 'No version loaded yet.' })
  model(): ModelInfoResponse {
    const slot = this.slots.defaultSlot;
    const model = slot.current;
    if (!model) throw new ModelNotReadyError(`no version of ${slot.name}@${slot.alias} is loaded yet`);
    const { info, contract, ref } = model;
    return {
      name: ref.name,
      alias: ref.alias,
      version: ref.version,
      run_id: info.runId ?? null,
      metrics: info.metrics,
      tags: info.tags,
      loaded_at: info.loadedAt.toISOString(),
      load_ms: Math.round(info.loadMs),
      source: info.source,
      inputs: info.signature,
      outputs: {
        probability: contract.probabilityOutput,
        probability_width: contract.probabilityWidth,
        label: contract.labelOutput ?? null,
      },
      serving_copy: {
        integer_coded_inputs: info.integerCodedInputs,
        packed_inputs: info.packedInputs,
        notes: info.servingCopyNotes,
      },
      has_train_stats: info.trainStats !== undefined,
      ...(info.trainStatsNote === undefined ? {} : { train_stats_note: info.trainStatsNote }),
    };
  }
}
