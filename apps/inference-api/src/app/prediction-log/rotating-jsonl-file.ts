import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

import { FeaturesJson, type PredictionRecord } from './prediction-store';

export interface RotatingJsonlFileOptions {
  path: string;
  /** A file is rotated before a line would take it past this size (a single longer line gets a file of its own). */
  maxBytes: number;
  /** Rotated files kept beside the live one: path.1 (newest) … path.<keep> (oldest). */
  keep: number;
}

/** Thrown by the constructor for a setting that cannot work; names the option. */
export class RotatingJsonlOptionsError extends Error {
  override readonly name = 'RotatingJsonlOptionsError';
}

/**
 * One JSON object per prediction, one per line, for log shippers (Fluent Bit, Vector, Filebeat)
 * that tail a file and follow its rotation by rename. The keys are the REST API's snake_case ones.
 * One process per file: two replicas rotating the same path would rename each other's files.
 */
export class RotatingJsonlFile {
  private handle: FileHandle | undefined;
  private size = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: RotatingJsonlFileOptions) {
    if (!(Number.isSafeInteger(options.maxBytes) && options.maxBytes > 0))
      throw new RotatingJsonlOptionsError(`maxBytes must be a positive integer, got ${options.maxBytes}`);
    if (!(Number.isSafeInteger(options.keep) && options.keep >= 0))
      throw new RotatingJsonlOptionsError(`keep must be an integer >= 0, got ${options.keep}`);
    if (options.path === '') throw new RotatingJsonlOptionsError('path must name a file');
  }

  get path(): string {
    return this.options.path;
  }

  /** Appends one line per record; appends run one after another in call order. */
  append(records: readonly PredictionRecord[]): Promise<void> {
    const lines = records.map((record) => `${jsonlText(record)}\n`);
    return this.serial(() => this.write(lines));
  }

  close(): Promise<void> {
    return this.serial(async () => {
      await this.handle?.close();
      this.handle = undefined;
    });
  }

  private async write(lines: readonly string[]): Promise<void> {
    let pending = '';
    let pendingBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      const handle = await this.open();
      if (this.size + pendingBytes > 0 && this.size + pendingBytes + bytes > this.options.maxBytes) {
        if (pending !== '') await handle.write(pending);
        this.size += pendingBytes;
        pending = '';
        pendingBytes = 0;
        await this.rotate();
      }
      pending += line;
      pendingBytes += bytes;
    }
    if (pending !== '') {
      await (await this.open()).write(pending);
      this.size += pendingBytes;
    }
  }

  private async open(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(dirname(this.options.path), { recursive: true });
    this.handle = await open(this.options.path, 'a');
    this.size = (await stat(this.options.path)).size;
    return this.handle;
  }

  /** path.<keep> is dropped, each path.i becomes path.(i+1), the live file becomes path.1. */
  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const { path, keep } = this.options;
    if (keep === 0) {
      await rm(path, { force: true });
    } else {
      await rm(`${path}.${keep}`, { force: true });
      for (let index = keep - 1; index >= 1; index--) await renameIfPresent(`${path}.${index}`, `${path}.${index + 1}`);
      await rename(path, `${path}.1`);
    }
    this.size = 0;
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/**
 * A record's JSONL line (without its newline): {@link jsonlLine} as JSON, features made as text
 * beforehand (FeaturesJson) put in as they are rather than parsed and written again.
 */
export function jsonlText(record: PredictionRecord): string {
  const features = record.features;
  if (!(features instanceof FeaturesJson)) return JSON.stringify(jsonlLine(record));
  const line = JSON.stringify({ ...jsonlLine(record), features: 0 });
  // The only `"features":` outside a string: inside one, every quote is escaped.
  const at = line.indexOf(FEATURES_KEY) + FEATURES_KEY.length;
  return `${line.slice(0, at)}${features.text}${line.slice(at + 1)}`;
}

const FEATURES_KEY = '"features":';

/** A record as the REST API names its fields, with the time as ISO 8601. */
export function jsonlLine(record: PredictionRecord): Record<string, unknown> {
  return {
    request_id: record.requestId,
    row: record.row,
    received_at: new Date(record.receivedAt).toISOString(),
    user_id: record.userId,
    variant: record.variant,
    model_name: record.modelName,
    alias: record.alias,
    version: record.version,
    features: record.features,
    probability: record.probability,
    prediction: record.prediction,
    latency_ms: record.latencyMs,
    traffic_share: record.trafficShare,
    shadow: record.shadow,
    replica: record.replica,
  };
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
