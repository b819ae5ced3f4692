import { Injectable } from '@nestjs/common';

import { ReloadPushService, type PushResult } from '../push/reload-push.service';
import { ModelRegistryService, type TrafficSettings } from './model-registry.service';

/** What a traffic change answers: the settings as stored, and the push to each replica. */
export interface TrafficChange extends TrafficSettings {
  pushes: PushResult[];
}

/**
 * Changes champion/challenger traffic and tells the inference-api replicas at once, as alias moves
 * do: a replica re-reads the traffic tags on a reload push, so a new share or salt takes effect on
 * every replica within the push's round trip instead of at each one's next poll. MLflow has no
 * update of several tags at once, so until then a polling replica could read some of the new tags
 * and not others; the push ends that window. Failed pushes are reported, never thrown (the tags are
 * already written; replicas that missed the push still read them by polling).
 */
@Injectable()
export class TrafficChangesService {
  constructor(
    private readonly registry: ModelRegistryService,
    private readonly push: ReloadPushService,
  ) {}

  async set(name: string, settings: Partial<TrafficSettings>, actor: string): Promise<TrafficChange> {
    const stored = await this.registry.setTraffic(name, settings, actor);
    return { ...stored, pushes: await this.push.pushReload(name) };
  }
}
