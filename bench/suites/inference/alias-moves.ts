/**
 * Lines up the load generator's response timeline with the moments the benchmark moved an alias,
 * to measure how long after a move every response carries the new version.
 */
import { readFileSync } from 'node:fs';

/** One alias move as the orchestrator made it. */
export interface AliasMove {
  /** Epoch ms (sub-ms resolution) just before the set-alias request was sent to MLflow. */
  at: number;
  toVersion: string;
  /** Milliseconds for the set-alias call and, with push, the `/admin/reload` call to return. */
  callsMs: number;
  /** With push: the version `/admin/reload` said it serves once it answered. */
  servedAfterPush?: string | null;
}

/** One response as the generator saw it. */
export interface TimelineEntry {
  receivedAt: number;
  /** 0 when the response named no version. */
  version: number;
  /** HTTP status; 0 for a broken connection. */
  status: number;
}

/** Reads the generator's timeline file (Float64 triples, in the order responses were received). */
export function readTimeline(file: string): TimelineEntry[] {
  const bytes = readFileSync(file);
  const values = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / Float64Array.BYTES_PER_ELEMENT);
  const entries: TimelineEntry[] = [];
  for (let index = 0; index + 2 < values.length; index += 3) {
    entries.push({ receivedAt: values[index], version: values[index + 1], status: values[index + 2] });
  }
  return entries;
}

/**
 * For each move, the milliseconds from the move to the moment from which every response carries the
 * new version: the first new-version response received after the last response that still named
 * another version (responses to requests already running on the old version are allowed to finish
 * on it, so this is later than the swap itself). Only responses received before the next move count;
 * `null` when no response named the new version before then.
 */
export function switchDelays(timeline: readonly TimelineEntry[], moves: readonly AliasMove[]): (number | null)[] {
  return moves.map((move, index) => {
    const end = index + 1 < moves.length ? moves[index + 1].at : Number.POSITIVE_INFINITY;
    const target = Number(move.toVersion);
    const window = timeline.filter(
      (entry) => entry.receivedAt >= move.at && entry.receivedAt < end && entry.status === 200,
    );
    let lastOther = -1;
    window.forEach((entry, position) => {
      if (entry.version !== target) lastOther = position;
    });
    const firstNew = window.findIndex((entry, position) => position > lastOther && entry.version === target);
    return firstNew < 0 ? null : window[firstNew].receivedAt - move.at;
  });
}

/** The median of the finite values (missing ones count as +∞, so a move that never took effect is never hidden). */
export function medianOf(values: readonly (number | null)[]): number {
  const sorted = values.map((value) => value ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
