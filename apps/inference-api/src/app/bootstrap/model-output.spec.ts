// A row the model answers with something that is not a probability is never answered as a
// prediction, and a version whose own input example scores so is never swapped in. A real
// onnxruntime session (√x: NaN below 0, above 1 past 1) and, for loads, the test run's real MLflow.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ConfigService } from '@nestjs/config';
import { InferenceSession } from 'onnxruntime-node';

import { MlflowClient } from '@churn/mlflow-client';
import { describeProblem, errorBodyOf } from '@churn/service-kit';

import { blankVersionInfo } from '../../../test/support/blank-version-info';
import { registerSqrtVersion, sqrtModelOnnx } from '../../../test/support/sqrt-model';
import type { InferenceApiConfig } from '../config/inference-api.config';
import { ServingMetricsService } from '../metrics/serving-metrics.service';
import { LoadedModel } from '../model/loaded-model';
import { ModelCache } from '../model/model-cache';
import { checkModelContract } from '../model/model-contract';
import { ModelLoadError, ModelOutputError } from '../model/model-errors';
import { loadModelVersion } from '../model/model-loader';
import { ModelSlot, type SlotFailure } from '../model/model-slot';
import type { Route } from '../routing/route';
import type { TrafficService } from '../routing/traffic.service';
import { ScoringService } from '../scoring/scoring.service';
import { inferenceApiErrors } from './api-errors';

const MODEL = 'iapi_sqrt_model';

async function sqrtModel(version = '1'): Promise<LoadedModel> {
  const session = await InferenceSession.create(sqrtModelOnnx());
  const contract = checkModelContract(
    [{ name: 'x', type: 'float', required: true }],
    session.inputMetadata,
    session.outputMetadata,
    new Map(),
  );
  return new LoadedModel({ name: MODEL, alias: 'production', version }, blankVersionInfo(), contract, session);
}

const rows = (...values: number[]) => values.map((x) => ({ x }));

function caught(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => {
      throw new Error('expected it to throw');
    },
    (error: unknown) => error,
  );
}

describe('model outputs that are not probabilities', () => {
  it('refuses a batch whose rows score NaN or above 1, naming the first row, the version and the count', async () => {
    const model = await sqrtModel('7');
    try {
      const good = await model.score(model.builder.fromRecords(rows(0.25, 0, 1), () => ''));
      expect(Array.from(good.probabilities)).toEqual([0.5, 0, 1]);
      const error = await caught(() => model.score(model.builder.fromRecords(rows(0.25, -1, 4, 0.81), () => '')));
      expect(error).toBeInstanceOf(ModelOutputError);
      expect(error).toMatchObject({ row: 1, invalidRows: 2, field: 'row 1', model: { version: '7' } });
      expect((error as ModelOutputError).probability).toBeNaN();
      expect((error as Error).message).toBe(
        `row 1: ${MODEL} v7 (production) returned probability NaN, not a probability in [0, 1]; no prediction is answered for it (2 rows of this request are affected)`,
      );
    } finally {
      model.dispose();
    }
  });

  it('answers 422 naming the row as the client wrote it, and counts the rows in inference_invalid_outputs_total', async () => {
    const model = await sqrtModel('3');
    const slot = new ModelSlot(MODEL, 'production', {
      resolveVersion: async () => ({ name: MODEL, version: '3', source: '', status: 'READY' }),
      loadVersion: async () => model,
    });
    await slot.refresh('startup');
    const metrics = new ServingMetricsService();
    const config = { get: () => 100 } as unknown as ConfigService<InferenceApiConfig, true>;
    const scoring = new ScoringService({} as TrafficService, [], metrics, config);
    const route: Route = { slot, variant: 'production', trafficShare: null, shadowSlot: undefined };
    const context = { route: 'predict' as const, requestId: 'r', userId: undefined, receivedAt: 0 };
    try {
      const error = await caught(() =>
        scoring.score(route, { ...context, locateRow: (row) => `customers[${row}]` }, (builder) =>
          builder.fromRecords(rows(0.5, 9, -4), () => ''),
        ),
      );
      const errorContext = { service: 'inference-api', trackingUri: 'http://mlflow.invalid', bodyLimitBytes: 1000 };
      const errors = inferenceApiErrors(errorContext);
      const logger = { error: jest.fn(), warn: jest.fn() };
      const described = describeProblem(error, errorContext, logger, errors.ownErrors);
      expect(described.problem).toMatchObject({ status: 422, field: 'customers[1]' });
      expect(described.problem.detail).toMatch(
        /^customers\[1\]: iapi_sqrt_model v3 \(production\) returned probability 3,/,
      );
      expect(JSON.parse(errorBodyOf('/predict', described, errors.errorBody).body)).toMatchObject({
        type: 'about:blank',
        title: 'Unprocessable Entity',
        status: 422,
        field: 'customers[1]',
      });
      await caught(() => scoring.score(route, context, (builder) => builder.fromRecords(rows(-1), () => '')));
      const counted = await metrics.registry.getSingleMetricAsString('inference_invalid_outputs_total');
      expect(counted).toContain(`inference_invalid_outputs_total{route="predict",alias="production",version="3"} 3`);
      // The lease was released: a good request still scores.
      expect(
        (await scoring.score(route, context, (builder) => builder.fromRecords(rows(0.04), () => ''))).scores
          .probabilities[0],
      ).toBeCloseTo(0.2, 6);
      expect(model.inUse).toBe(0);
    } finally {
      slot.close();
    }
  });

  describe('loading a version (real MLflow)', () => {
    const client = new MlflowClient({ trackingUri: process.env['MLFLOW_TRACKING_URI'] as string });
    let root: string;

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'model-output-cache-'));
    });

    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('never swaps in a version whose own input example scores NaN: the load is refused and the old version keeps serving', async () => {
      const good = await registerSqrtVersion(client, MODEL, [0.25, 0.64]);
      const bad = await registerSqrtVersion(client, MODEL, [0.25, -1]);
      const cache = new ModelCache(client, root, 5);
      let pointer = good;
      const failures: SlotFailure[] = [];
      const slot = new ModelSlot(MODEL, 'production', {
        resolveVersion: async () => pointer,
        loadVersion: (version, alias) => loadModelVersion(version, alias, { client, cache }),
        events: { loadFailed: (_slot, failure) => failures.push(failure) },
      });
      try {
        expect((await slot.refresh('startup')).version).toBe(good.version);
        pointer = bad;
        const status = await slot.refresh('poll');
        expect(status).toMatchObject({ state: 'ready', version: good.version, aliasVersion: bad.version });
        expect(status.lastError).toMatchObject({ version: bad.version, stage: 'warmup' });
        expect(failures).toHaveLength(1);
        expect(failures[0].message).toBe(
          `${MODEL} v${bad.version}: the model returned probability NaN for example row 1; probabilities must be within [0, 1]`,
        );
        const error = await caught(() => loadModelVersion(bad, 'production', { client, cache }));
        expect(error).toBeInstanceOf(ModelLoadError);
        const lease = slot.acquire();
        expect(lease.ref.version).toBe(good.version);
        lease.release();
      } finally {
        slot.close();
      }
    });
  });
});
