import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { ArtifactSizeMismatchError, MlflowArgumentError, ResourceDoesNotExistError } from '../core/errors';
import { ARTIFACTS_API, encodePathSegments, joinPath, splitPath } from '../core/paths';
import type { MlflowTransport } from '../core/transport';
import { mlflowArtifactsUriToProxyPath, parseRunsUri } from '../uris';
import type { Runs } from './runs';

/** One entry of an artifact listing; `path` is relative to the listed location. */
export interface ArtifactFile {
  path: string;
  is_dir: boolean;
  /** Bytes; absent for directories. */
  file_size?: number;
}

/** A file written by a download. */
export interface DownloadedFile {
  /** Relative to the downloaded location, with `/` separators. */
  path: string;
  local_path: string;
  size: number;
}

/** How many files move at once in directory uploads and downloads. */
const TRANSFER_CONCURRENCY = 4;

/**
 * Artifacts through the tracking server's proxy (`/api/2.0/mlflow-artifacts/artifacts`), addressed
 * by URI: `mlflow-artifacts:/...` (what runs and model versions carry) or `runs:/<run_id>/<path>`.
 * Files are streamed both ways; nothing is held whole in memory except by {@link readBytes}.
 */
export class Artifacts {
  constructor(
    private readonly transport: MlflowTransport,
    private readonly runs: Runs,
  ) {}

  /**
   * The proxy path of an artifact URI. `runs:/` URIs cost one `runs/get` to learn the run's
   * artifact root.
   * @throws MlflowArgumentError for other schemes (the client reaches artifacts only through the proxy)
   */
  async toProxyPath(uri: string): Promise<string> {
    if (uri.startsWith('runs:')) {
      const { run_id, path } = parseRunsUri(uri);
      const run = await this.runs.get(run_id);
      return joinPath(mlflowArtifactsUriToProxyPath(run.info.artifact_uri), path);
    }
    if (uri.startsWith('mlflow-artifacts:')) return mlflowArtifactsUriToProxyPath(uri);
    throw new MlflowArgumentError(
      `artifact URI '${uri}' is neither mlflow-artifacts:/ nor runs:/ — start the server with proxied artifacts (--artifacts-destination)`,
    );
  }

  /** The `mlflow-artifacts:` URI of a path inside a run's artifact root. */
  async runArtifactUri(runId: string, path?: string): Promise<string> {
    const run = await this.runs.get(runId);
    return path ? `${run.info.artifact_uri.replace(/\/+$/, '')}/${joinPath(path)}` : run.info.artifact_uri;
  }

  /** Direct children of a location; an empty list when nothing is there. */
  async list(uri: string): Promise<ArtifactFile[]> {
    return this.listProxyPath(await this.toProxyPath(uri));
  }

  /** Every file (not directory) below a location, with paths relative to it. */
  async listFiles(uri: string): Promise<ArtifactFile[]> {
    return this.listFilesBelow(await this.toProxyPath(uri));
  }

  /**
   * Uploads one file into a run, at `<artifact_path>/<file name>` below the run's artifact root
   * (as `mlflow.log_artifact` does). Returns the file's artifact URI.
   */
  async logFile(params: { run_id: string; local_path: string; artifact_path?: string }): Promise<string> {
    const uri = await this.runArtifactUri(params.run_id, joinPath(params.artifact_path, basename(params.local_path)));
    await this.uploadFile(params.local_path, uri);
    return uri;
  }

  /**
   * Uploads a directory's files, recursively, below `<artifact_path>` of a run (as
   * `mlflow.log_artifacts` does). Returns the uploaded paths relative to the directory.
   */
  async logDirectory(params: { run_id: string; local_dir: string; artifact_path?: string }): Promise<string[]> {
    return this.uploadDirectory(params.local_dir, await this.runArtifactUri(params.run_id, params.artifact_path));
  }

  /** Uploads one local file to exactly this artifact URI, streaming it. */
  async uploadFile(localPath: string, uri: string): Promise<void> {
    const info = await stat(localPath);
    if (!info.isFile()) throw new MlflowArgumentError(`local_path '${localPath}' is not a file`);
    const proxyPath = await this.toProxyPath(uri);
    await this.transport.json({
      method: 'PUT',
      path: `${ARTIFACTS_API}/${encodePathSegments(proxyPath)}`,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(info.size) },
      // A fresh stream per attempt: a retried upload must re-read the file from the start.
      body: () => Readable.toWeb(createReadStream(localPath)) as unknown as ReadableStream<Uint8Array>,
      // Writing the same bytes to the same path twice leaves the same result.
      idempotent: true,
    });
  }

  /** Uploads every file below `localDir` to the same relative paths below `uri`. */
  async uploadDirectory(localDir: string, uri: string): Promise<string[]> {
    const info = await stat(localDir);
    if (!info.isDirectory()) throw new MlflowArgumentError(`local_dir '${localDir}' is not a directory`);
    const files = await listLocalFiles(localDir);
    const root = uri.replace(/\/+$/, '');
    await inParallel(files, TRANSFER_CONCURRENCY, (file) =>
      this.uploadFile(join(localDir, ...file.split('/')), `${root}/${file}`),
    );
    return files;
  }

  /** A file's bytes, whole. For small files (JSON, MLmodel); use {@link downloadFile} for models. */
  async readBytes(uri: string): Promise<Buffer> {
    const response = await this.open(uri);
    return Buffer.from(await response.arrayBuffer());
  }

  /**
   * Streams one artifact file to `localPath` (parent folders created). The file appears complete or
   * not at all: it is written beside the target and renamed into place.
   * @param expectedSize when given, a different byte count fails with ArtifactSizeMismatchError
   */
  async downloadFile(uri: string, localPath: string, expectedSize?: number): Promise<number> {
    return this.downloadProxyPath(await this.toProxyPath(uri), localPath, expectedSize);
  }

  /**
   * Downloads every file below a location into `localDir`, keeping the layout, and checks each
   * file's size against the listing.
   * @throws ResourceDoesNotExistError when nothing is stored there
   * @throws ArtifactSizeMismatchError when a file arrives with a different size than listed
   */
  async downloadDirectory(uri: string, localDir: string): Promise<DownloadedFile[]> {
    const root = await this.toProxyPath(uri);
    const files = await this.listFilesBelow(root);
    if (files.length === 0) throw new ResourceDoesNotExistError(`No artifacts found at ${uri}`);
    await mkdir(localDir, { recursive: true });
    return inParallel(files, TRANSFER_CONCURRENCY, async (file) => {
      const localPath = join(localDir, ...splitPath(file.path, `artifact path '${file.path}'`));
      const size = await this.downloadProxyPath(`${root}/${file.path}`, localPath, file.file_size);
      return { path: file.path, local_path: localPath, size };
    });
  }

  private async open(uri: string): Promise<Response> {
    const proxyPath = await this.toProxyPath(uri);
    return this.transport.stream({
      method: 'GET',
      path: `${ARTIFACTS_API}/${encodePathSegments(proxyPath)}`,
      headers: { Accept: '*/*' },
    });
  }

  private async listProxyPath(proxyPath: string): Promise<ArtifactFile[]> {
    const body = await this.transport.json<{ files?: ArtifactFile[] }>({
      method: 'GET',
      path: ARTIFACTS_API,
      query: { path: proxyPath },
    });
    return body.files ?? [];
  }

  private async listFilesBelow(proxyPath: string, prefix = ''): Promise<ArtifactFile[]> {
    const files: ArtifactFile[] = [];
    for (const entry of await this.listProxyPath(proxyPath)) {
      // The server lists names relative to the listed folder; older servers sent full paths.
      const name = entry.path.startsWith(`${proxyPath}/`) ? entry.path.slice(proxyPath.length + 1) : entry.path;
      const relativePath = joinPath(prefix, name);
      splitPath(relativePath, `listed artifact '${entry.path}'`);
      if (entry.is_dir) files.push(...(await this.listFilesBelow(`${proxyPath}/${name}`, relativePath)));
      else files.push({ path: relativePath, is_dir: false, file_size: entry.file_size });
    }
    return files;
  }

  private async downloadProxyPath(
    proxyPath: string,
    localPath: string,
    expectedSize: number | undefined,
  ): Promise<number> {
    const response = await this.transport.stream({
      method: 'GET',
      path: `${ARTIFACTS_API}/${encodePathSegments(proxyPath)}`,
      headers: { Accept: '*/*' },
    });
    await mkdir(dirname(localPath), { recursive: true });
    const partial = `${localPath}.partial-${randomBytes(4).toString('hex')}`;
    try {
      if (!response.body) throw new ArtifactSizeMismatchError(`GET ${proxyPath} answered without a body`);
      await pipeline(
        Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
        createWriteStream(partial),
      );
      const { size } = await stat(partial);
      if (expectedSize !== undefined && size !== expectedSize) {
        throw new ArtifactSizeMismatchError(
          `Artifact '${proxyPath}' arrived with ${size} bytes; the server listed ${expectedSize}`,
        );
      }
      await rename(partial, localPath);
      return size;
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }
}

/** Files below `dir`, recursively, as `/`-separated paths relative to it, sorted. */
async function listLocalFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Maps `items` through `task` with at most `limit` tasks running; results keep the input order. */
async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
