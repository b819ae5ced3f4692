import type { SlotStatus } from '../model/model-slot';
import type { SlotStatusDto } from './serving.dto';

/** The wire form (snake_case, ISO times) of a slot's status. */
export function toSlotStatusDto(status: SlotStatus): SlotStatusDto {
  const error = status.lastError;
  return {
    name: status.name,
    alias: status.alias,
    state: status.state,
    version: status.version,
    loaded_at: status.loadedAt?.toISOString() ?? null,
    alias_version: status.aliasVersion,
    last_resolved_at: status.lastResolvedAt?.toISOString() ?? null,
    loading_version: status.loadingVersion,
    last_error: error
      ? {
          version: error.version ?? null,
          stage: error.stage,
          message: error.message,
          at: error.at.toISOString(),
          retry_at: error.retryAt?.toISOString() ?? null,
        }
      : null,
  };
}
