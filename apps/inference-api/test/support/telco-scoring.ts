/**
 * Telco rows and the exported model's contract, for tests that compare a serving copy of a model
 * (integer-coded-categories.ts, packed-inputs.ts) with the model it was made from.
 */
import { createReadStream } from 'node:fs';

import { InferenceSession } from 'onnxruntime-node';

import { defaultChurnSchema, readCsvSample } from '@churn/churn-pipeline';

import { checkModelContract, type ModelContract } from '../../src/app/model/model-contract';
import { oneHotCategoriesByInput } from '../../src/app/model/onnx-categories';
import { TELCO_CSV } from './model-fixtures';

/**
 * The first `count` Telco rows as clients send them (text cells), plus a column `x` that is no
 * feature, an unknown Contract every 7th row, a missing PaymentMethod every 11th and a missing
 * tenure every 13th.
 */
export async function telcoScoringRows(count: number): Promise<{ header: string[]; cells: unknown[][] }> {
  const sample = await readCsvSample(createReadStream(TELCO_CSV), count);
  const at = (name: string) => sample.header.indexOf(name);
  const cells = sample.rows.map((row, index) => {
    const copy: unknown[] = [...row, 0];
    if (index % 7 === 0) copy[at('Contract')] = 'Two weeks';
    if (index % 11 === 0) copy[at('PaymentMethod')] = null;
    if (index % 13 === 0) copy[at('tenure')] = null;
    return copy;
  });
  return { header: [...sample.header, 'x'], cells };
}

/** The contract the loader checks an exported Telco model against (the default schema's signature). */
export async function exportedTelcoContract(onnx: Uint8Array): Promise<ModelContract> {
  const schema = defaultChurnSchema();
  const signature = [
    ...schema.numeric.map((name) => ({ name, type: 'double', required: true })),
    ...schema.categorical.map((name) => ({ name, type: 'string', required: true })),
  ];
  const session = await InferenceSession.create(onnx);
  try {
    return checkModelContract(signature, session.inputMetadata, session.outputMetadata, oneHotCategoriesByInput(onnx));
  } finally {
    await session.release();
  }
}
