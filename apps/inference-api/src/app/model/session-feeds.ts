/**
 * The tensors a `session.run` takes for a group of scored batches, as the serving copy of a version
 * wants them: one tensor per column input, or one `[rows, k]` tensor per packed group
 * (packed-inputs.ts), with integer-coded categories as int64 codes (integer-coded-categories.ts).
 */
import { Tensor } from 'onnxruntime-node';

import { int64Codes, joinedColumn, writeInt64Codes, type FeatureBatch } from './feature-batch';
import type { InputColumnPlan } from './model-contract';
import type { PackedInputGroup, PackedTensorType } from './packed-inputs';

/** A packed graph input: the model columns (indexes into the contract's columns) in its column order. */
export interface PackedInputPlan {
  name: string;
  tensorType: PackedTensorType;
  columns: number[];
}

/** What a feed needs to know of a model column. */
export type FeedColumn = Pick<InputColumnPlan, 'name' | 'tensorType' | 'columnVector' | 'categoryCodes'>;

/**
 * The packed groups of a copy as plans over model columns; `undefined` when a group does not hold
 * what its columns are fed as (float32 or float64 numbers, category codes for int64, in the same
 * `[N]` or `[N,1]` shape), so its tensor could not be built.
 */
export function packedInputPlans(
  columns: readonly FeedColumn[],
  groups: readonly PackedInputGroup[],
): PackedInputPlan[] | undefined {
  const indexOf = new Map(columns.map((column, index) => [column.name, index]));
  const plans: PackedInputPlan[] = [];
  for (const group of groups) {
    const indexes: number[] = [];
    for (const member of group.members) {
      const index = indexOf.get(member.name);
      const column = index === undefined ? undefined : columns[index];
      if (index === undefined || column === undefined) return undefined;
      const fedAs = column.categoryCodes ? 'int64' : column.tensorType;
      if (fedAs !== group.tensorType || column.columnVector !== member.columnVector) return undefined;
      indexes.push(index);
    }
    plans.push({ name: group.name, tensorType: group.tensorType, columns: indexes });
  }
  return plans;
}

export class SessionFeeds {
  /** Columns fed as tensors of their own, with their index. */
  private readonly single: { index: number; column: FeedColumn }[] = [];

  constructor(
    columns: readonly FeedColumn[],
    private readonly packed: readonly PackedInputPlan[] = [],
  ) {
    const inPacked = new Set(packed.flatMap((group) => group.columns));
    columns.forEach((column, index) => {
      if (!inPacked.has(index)) this.single.push({ index, column });
    });
  }

  /** The feeds for `batches` (consecutive, `rows` rows in all), keyed by graph input name. */
  of(batches: readonly FeatureBatch[], rows: number): Record<string, Tensor> {
    const feeds: Record<string, Tensor> = {};
    for (const { index, column } of this.single) {
      const dims = column.columnVector ? [rows, 1] : [rows];
      feeds[column.name] =
        column.categoryCodes && batches[0].categoryCodes[index]
          ? new Tensor('int64', int64Codes(codesOf(batches, index), rows), dims)
          : new Tensor(column.tensorType, joinedColumn(batches, index, rows), dims);
    }
    for (const group of this.packed) {
      const data =
        group.tensorType === 'int64' ? packedCodes(batches, group.columns, rows) : packedNumbers(batches, group, rows);
      feeds[group.name] = new Tensor(group.tensorType, data, [rows, group.columns.length]);
    }
    return feeds;
  }
}

/** Numeric columns side by side, row after row: cell (row, k) at row × width + k. */
function packedNumbers(
  batches: readonly FeatureBatch[],
  group: PackedInputPlan,
  rows: number,
): Float32Array | Float64Array {
  const width = group.columns.length;
  const data = group.tensorType === 'float32' ? new Float32Array(rows * width) : new Float64Array(rows * width);
  group.columns.forEach((index, column) => {
    let at = column;
    for (const batch of batches) {
      const values = batch.columns[index] as Float32Array | Float64Array;
      for (let row = 0; row < batch.rowCount; row++, at += width) data[at] = values[row];
    }
  });
  return data;
}

/**
 * Integer-coded columns side by side as int64 cells.
 * @throws Error when a batch holds no codes for one of them (the builder always makes them for a coded column)
 */
function packedCodes(batches: readonly FeatureBatch[], columns: readonly number[], rows: number): BigInt64Array {
  const buffer = new ArrayBuffer(rows * columns.length * 8);
  const words = new Int32Array(buffer);
  columns.forEach((index, column) => writeInt64Codes(words, codesOf(batches, index), column, columns.length));
  return new BigInt64Array(buffer);
}

function codesOf(batches: readonly FeatureBatch[], index: number): Int32Array[] {
  return batches.map((batch) => {
    const codes = batch.categoryCodes[index];
    if (codes === undefined) throw new Error(`a batch holds no category codes for model column ${index}`);
    return codes;
  });
}
