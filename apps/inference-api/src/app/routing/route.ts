import type { ModelSlot } from '../model/model-slot';
import type { Variant } from '../observation/prediction-observer';

/** Where one request goes: the slot that answers it and, in shadow mode, the slot that also scores it. */
export interface Route {
  slot: ModelSlot;
  variant: Variant;
  /** The challenger share the user was split with; null when the request was not split (no user id, no experiment). */
  trafficShare: number | null;
  /** The challenger, when shadow mode is on and it did not serve the request itself. */
  shadowSlot: ModelSlot | undefined;
}
