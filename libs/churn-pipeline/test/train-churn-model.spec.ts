import { Readable } from 'node:stream';

import {
  DatasetError,
  defaultChurnSchema,
  loadCsvFile,
  OptionError,
  stratifiedSplit,
  trainChurnModel,
  type CustomerRecord,
  type TrainingProgress,
} from '../src/index';
import { readRawRecords, TELCO_CSV, TELCO_SHA256 } from './support/paths';
import { vectorMismatches } from './support/tolerance';

describe('trainChurnModel', () => {
  it('trains on the Telco CSV, reporting stages in order, with the file hash, counts and the seed’s split', async () => {
    const progress: TrainingProgress[] = [];
    const model = await trainChurnModel({ csvPath: TELCO_CSV, seed: 42, onProgress: (p) => progress.push(p) });
    const finished = progress.filter((p) => p.status === 'finished').map((p) => p.stage);
    expect(finished).toEqual(['load', 'split', 'preprocess', 'fit', 'evaluate']);
    expect(progress.some((p) => p.stage === 'fit' && p.status === 'progress')).toBe(true);
    expect(model.data).toEqual({
      sha256: TELCO_SHA256,
      rows: 7043,
      trainRows: 5634,
      testRows: 1409,
      positiveRows: 1869,
      ignoredColumns: [],
    });
    const dataset = await loadCsvFile(TELCO_CSV, defaultChurnSchema());
    expect(model.split).toEqual(stratifiedSplit(dataset.target, 42));
    expect(model.pipeline.threshold).toBe(0.5);
    expect(model.pipeline.coefficients).toHaveLength(46);
    expect(model.fit.lossHistory).toHaveLength(model.fit.iterations + 1);
    expect(model.parameters).toEqual({
      seed: 42,
      testShare: 0.2,
      classWeight: null,
      C: 1,
      tolerance: 1e-8,
      maxIterations: 100,
      threshold: 0.5,
    });
  });

  it('gives the same model from in-memory records as from the CSV, without modifying the records', async () => {
    const records: CustomerRecord[] = await readRawRecords(TELCO_CSV);
    const copy = structuredClone(records);
    const fromRows = await trainChurnModel({ rows: records, seed: 3 });
    const fromCsv = await trainChurnModel({ csvPath: TELCO_CSV, seed: 3 });
    expect(records).toEqual(copy);
    expect(fromRows.split).toEqual(fromCsv.split);
    // Same values reach the same arithmetic in the same order, so the models agree to the last bit;
    // 1e-12 states that the two loading paths may differ by nothing beyond rounding.
    expect(
      vectorMismatches('coefficient', fromRows.pipeline.coefficients, fromCsv.pipeline.coefficients, 1e-12),
    ).toEqual([]);
  });

  it('hands the raw training columns to drift statistics', async () => {
    const model = await trainChurnModel({ csvPath: TELCO_CSV, seed: 42 });
    const columns = model.trainingColumns();
    expect(columns.rowCount).toBe(5634);
    expect(columns.numeric.map((c) => c.name)).toEqual(['tenure', 'MonthlyCharges', 'TotalCharges']);
    expect(columns.numeric[2].values).toHaveLength(5634);
    expect(
      columns.categorical.find((c) => c.name === 'SeniorCitizen')?.values.every((v) => v === '0' || v === '1'),
    ).toBe(true);
  });

  it('stops on bad data with the line and column', async () => {
    const header =
      'customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn';
    const good =
      'a,Female,0,Yes,No,1,No,No phone service,DSL,No,Yes,No,No,No,No,Month-to-month,Yes,Electronic check,29.85,29.85,No';
    const bad = 'b,Male,0,No,No,many,Yes,No,DSL,Yes,No,Yes,No,No,No,One year,No,Mailed check,56.95,1889.5,Yes';
    await expect(trainChurnModel({ csv: Readable.from([`${header}\n${good}\n${bad}\n`]) })).rejects.toThrow(
      new DatasetError('"many" is not a number (numeric column; blank means missing)', { line: 3, column: 'tenure' }),
    );
  });

  it('wants exactly one data source', async () => {
    await expect(trainChurnModel({} as never)).rejects.toThrow(
      new OptionError('give exactly one of "csvPath", "csv" or "rows" (got 0)'),
    );
  });
});
