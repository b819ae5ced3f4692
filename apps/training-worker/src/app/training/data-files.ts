/**
 * Files a REST training job may read: regular files under DATA_DIR and nothing else. A trainer's
 * token must not turn training-worker into a reader of its own secrets or of the host's files, so a
 * path is refused when it leaves DATA_DIR by `..` or by being absolute elsewhere, when a symbolic
 * link on the way leads out, or when it names a directory, FIFO, socket or device (reading a FIFO
 * would hang the job). The `train` CLI, run by an operator on their own machine, is not bound by it.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { TrainingRequestError } from './training-request';

/** How a request's file paths are found, and whether errors may quote what was read from them. */
export interface FileAccess {
  /** The absolute path of the file a request names; throws a TrainingRequestError naming `field`. */
  locate(field: string, requested: string): Promise<string>;
  /** True for the operator's CLI; REST jobs' errors say where a file is at fault, never what it holds. */
  quotesContent: boolean;
}

/** The `train` CLI: any file the operator can read, relative to their working directory. */
export function operatorFiles(baseDir: string): FileAccess {
  return { locate: (field, requested) => existingFile(field, resolve(baseDir, requested)), quotesContent: true };
}

/** REST jobs: regular files under DATA_DIR only ({@link confinedFile}), content never quoted. */
export function dataDirFiles(dataDir: string): FileAccess {
  return { locate: (field, requested) => confinedFile(field, requested, dataDir), quotesContent: false };
}

/** `path` checked to be a file now, so a typo fails before any MLflow run exists. */
async function existingFile(field: string, path: string): Promise<string> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    throw new TrainingRequestError(
      field,
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  if (!isFile) throw new TrainingRequestError(field, `${path} is not a file`);
  return path;
}

/**
 * The real path of `requested` (relative to DATA_DIR, or absolute inside it), checked to be a
 * regular file that stays under DATA_DIR once every symbolic link is followed. Messages name the
 * rule broken and the path as the caller gave it, never anything read from the file system beyond
 * whether it exists.
 *
 * @throws {TrainingRequestError} naming `field`
 */
export async function confinedFile(field: string, requested: string, dataDir: string): Promise<string> {
  if (requested.includes('\0')) throw new TrainingRequestError(field, 'must not contain a NUL character');
  const root = resolve(dataDir);
  const lexical = resolve(root, requested);
  if (!isWithin(root, lexical)) {
    throw new TrainingRequestError(
      field,
      `${JSON.stringify(requested)} is outside DATA_DIR: name a file under it (relative to it, without "..")`,
    );
  }
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    throw new TrainingRequestError(field, 'DATA_DIR does not exist on this worker: no data file can be read');
  }
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot be read (${code ?? 'error'})`;
    throw new TrainingRequestError(field, `${JSON.stringify(requested)} under DATA_DIR: ${problem}`);
  }
  if (!isWithin(realRoot, real)) {
    throw new TrainingRequestError(
      field,
      `${JSON.stringify(requested)} leads outside DATA_DIR through a symbolic link; links must stay under it`,
    );
  }
  if (!(await stat(real)).isFile()) {
    throw new TrainingRequestError(
      field,
      `${JSON.stringify(requested)} is not a regular file (directories, FIFOs, sockets and devices are refused)`,
    );
  }
  return real;
}

/** True when `path` is `root` itself or lies under it (both absolute and normalised). */
function isWithin(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}
