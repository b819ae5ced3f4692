import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import path from 'node:path';

import { readCsv, type CustomerRecord } from '../../src/index';

/** The workspace root (this file is libs/churn-pipeline/test/support/paths.ts). */
export const WORKSPACE_ROOT = path.resolve(__dirname, '../../../..');

/** The IBM Telco churn CSV the repository ships (libs/churn-pipeline/data/README.md). */
export const TELCO_CSV = path.resolve(WORKSPACE_ROOT, 'libs/churn-pipeline/data/telco-customer-churn.csv');

/** sha256 of the Telco file, as its README gives it. */
export const TELCO_SHA256 = '16320c9c1ec72448db59aa0a26a0b95401046bef5d02fd3aeb906448e3055e91';

/**
 * Runs a committed Python script of this library with the pinned interpreter that the Jest global
 * setup exports as CHURN_PYTHON, and parses its JSON output.
 */
export function runPythonScript<T>(script: string, args: string[]): T {
  const python = process.env['CHURN_PYTHON'];
  if (python === undefined || python.length === 0) {
    throw new Error('CHURN_PYTHON is not set: run these tests through libs/churn-pipeline/jest.config.cjs');
  }
  const output = execFileSync(python, [path.join(__dirname, '../python', script), ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(output) as T;
}

/** Every row of a CSV as a record of its raw cell text. */
export async function readRawRecords(csvPath: string): Promise<CustomerRecord[]> {
  const { header, batches } = await readCsv(createReadStream(csvPath));
  const records: CustomerRecord[] = [];
  for await (const batch of batches) {
    for (const row of batch) records.push(Object.fromEntries(header.map((name, i) => [name, row.fields[i]])));
  }
  return records;
}
