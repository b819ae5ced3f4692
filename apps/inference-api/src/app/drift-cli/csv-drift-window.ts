/**
 * A CSV of live (or any) customer rows fed into one drift window, with the churn pipeline's CSV
 * reader and cell rules. Every feature the reference knows must be a column of the CSV.
 */
import { createReadStream } from 'node:fs';

import { categoryFromRaw, DatasetError, parseNumericText, readCsv } from '@churn/churn-pipeline';
import { DEFAULT_WINDOW_SAMPLE_CAPACITY, DriftWindow, type TrainingStatistics } from '@churn/drift-stats';

/** The CSV cannot be used as asked; the message names the file and the column (and line). */
export class DriftDataError extends Error {
  override readonly name = 'DriftDataError';
}

/**
 * Reads `path` into a window over `reference`'s bins and levels.
 * @param requiredColumns columns that must be in the header (the reference's features, or the
 *   model's inputs when there is no reference)
 * @throws {DriftDataError} for an unreadable file, a missing column, a malformed row, or a numeric
 *   cell that is not a number
 */
export async function readCsvDriftWindow(
  path: string,
  reference: TrainingStatistics | undefined,
  requiredColumns: readonly string[],
): Promise<{ window: DriftWindow | undefined; rows: number }> {
  try {
    const { header, headerLine, batches } = await readCsv(createReadStream(path));
    const missing = requiredColumns.filter((column) => !header.includes(column));
    if (missing.length > 0) {
      await batches.return(undefined);
      const which =
        missing.length === 1
          ? `column "${missing[0]}" is missing`
          : `columns ${missing.map((column) => `"${column}"`).join(', ')} are missing`;
      throw new DriftDataError(`${path}: ${which} (line ${headerLine} is the header)`);
    }
    const window =
      reference === undefined ? undefined : DriftWindow.forReference(reference, DEFAULT_WINDOW_SAMPLE_CAPACITY);
    const numeric =
      reference === undefined
        ? []
        : Object.keys(reference.numeric).map((name) => [name, header.indexOf(name)] as const);
    const categorical =
      reference === undefined
        ? []
        : Object.keys(reference.categorical).map((name) => [name, header.indexOf(name)] as const);
    let rows = 0;
    for await (const batch of batches) {
      for (const { fields, line } of batch) {
        rows++;
        if (window === undefined) continue;
        const row: Record<string, number | string | null> = {};
        for (const [name, position] of numeric) {
          const value = parseNumericText(fields[position]);
          if (value === undefined)
            throw new DriftDataError(
              `${path}: line ${line}, column "${name}": expected a number, got ${JSON.stringify(fields[position])}`,
            );
          row[name] = value;
        }
        for (const [name, position] of categorical) row[name] = categoryFromRaw(fields[position]) ?? null;
        window.add(row);
      }
    }
    return { window, rows };
  } catch (error) {
    if (error instanceof DriftDataError) throw error;
    if (error instanceof DatasetError) throw new DriftDataError(`${path}: ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES')
      throw new DriftDataError(`${path}: cannot be read (${code})`);
    throw error;
  }
}
