/**
 * What `POST /predict` and `POST /invocations` do with a parsed body, whichever HTTP layer carries
 * it: the Nest controllers (which also describe the routes for Swagger) or the scoring fast path
 * (bootstrap/scoring-fast-path.ts) that takes the common JSON requests ahead of the framework. One
 * implementation, so the two cannot answer differently.
 */
import { parseJsonBody } from '../http/body-parsers';
import type { FeatureBatch, FeatureBatchBuilder } from '../model/feature-batch';
import type { ModelRef, Scores } from '../model/loaded-model';
import { ModelNotReadyError } from '../model/model-errors';
import type { Variant } from '../observation/prediction-observer';
import { invocationsBatch } from './invocations-request';
import { parsePredictRequest } from './predict-request';
import { timeOrderedUuid } from './request-id';
import type { PredictBatchResponse, PredictionDto, PredictResponse } from './scoring.dto';
import type { ScoringService } from './scoring.service';

export interface PredictAnswer {
  model: ModelRef;
  variant: Variant;
  requestId: string;
  response: PredictResponse | PredictBatchResponse;
}

export interface InvocationsAnswer {
  model: ModelRef;
  /** The response body, already JSON (see {@link invocationsResponseJson}). */
  json: string;
}

/** @throws {InputError} naming the field at fault; {ModelNotReadyError} before a version is loaded */
export async function answerPredict(scoring: ScoringService, body: unknown): Promise<PredictAnswer> {
  const receivedAt = Date.now();
  const parsed = parsePredictRequest(body, scoring.maxBatchRows);
  const route = scoring.routeFor(parsed.userId, parsed.requestId);
  const { model, variant, batch, scores } = await scoring.score(
    route,
    {
      route: 'predict',
      requestId: parsed.requestId,
      userId: parsed.userId,
      receivedAt,
      locateRow: parsed.single ? () => 'body' : (row) => parsed.locate(row, ''),
    },
    (builder) => builder.fromRecords(parsed.records, parsed.locate),
  );
  const ref = copyRef(model);
  if (parsed.single) {
    return {
      model,
      variant,
      requestId: parsed.requestId,
      response: {
        prediction: scores.labels[0] as 0 | 1,
        probability: scores.probabilities[0],
        model: ref,
        variant,
        request_id: parsed.requestId,
        warnings: warningsOf(batch, 0),
      },
    };
  }
  const predictions: PredictionDto[] = new Array(batch.rowCount);
  for (let row = 0; row < batch.rowCount; row++) {
    predictions[row] = {
      prediction: scores.labels[row] as 0 | 1,
      probability: scores.probabilities[row],
      warnings: batch.rowWarnings?.[row] ?? [],
    };
  }
  return {
    model,
    variant,
    requestId: parsed.requestId,
    response: { model: ref, variant, predictions, request_id: parsed.requestId, warnings: batch.batchWarnings },
  };
}

/** @throws {InputError} 400/413/415 as invocations-request.ts says; {ModelNotReadyError} before a version is loaded */
export async function answerInvocations(
  scoring: ScoringService,
  contentType: string | undefined,
  body: unknown,
): Promise<InvocationsAnswer> {
  return invocations(scoring, (builder) => invocationsBatch(contentType, body, builder, scoring.maxBatchRows));
}

/**
 * `POST /invocations` with a UTF-8 JSON body still as bytes: a `dataframe_split` body is read
 * straight into the batch (model/dataframe-split-scanner.ts), any other is parsed and goes the
 * general way. A malformed body is a 400 even before a version is loaded, as when it was parsed first.
 * @throws as {@link answerInvocations}
 */
export async function answerInvocationsJson(
  scoring: ScoringService,
  contentType: string | undefined,
  body: Buffer,
): Promise<InvocationsAnswer> {
  let parsed: { value: unknown } | undefined;
  const parse = (): unknown => (parsed ??= { value: parseJsonBody(body) }).value;
  try {
    return await invocations(
      scoring,
      (builder) =>
        builder.fromDataframeSplitJson(body, scoring.maxBatchRows) ??
        invocationsBatch(contentType, parse(), builder, scoring.maxBatchRows),
    );
  } catch (error) {
    if (error instanceof ModelNotReadyError) parse();
    throw error;
  }
}

async function invocations(
  scoring: ScoringService,
  prepare: (builder: FeatureBatchBuilder) => FeatureBatch,
): Promise<InvocationsAnswer> {
  const receivedAt = Date.now();
  const requestId = timeOrderedUuid();
  const route = scoring.routeFor(undefined, requestId);
  const { model, batch, scores } = await scoring.score(
    route,
    { route: 'invocations', requestId, userId: undefined, receivedAt },
    prepare,
  );
  return { model, json: invocationsResponseJson(scores, batch.rowCount) };
}

/**
 * `{ "predictions": [{ "label", "probability" }, ...] }` as JSON text, byte for byte what
 * `JSON.stringify` gives for the {@link InvocationsResponse} object, written directly: building one
 * object per row and stringifying them took ~0.6 ms per 1000 rows, this ~0.13 ms.
 */
export function invocationsResponseJson(scores: Scores, rowCount: number): string {
  let json = '{"predictions":[';
  for (let row = 0; row < rowCount; row++) {
    const probability = scores.probabilities[row];
    json += `${row === 0 ? '' : ','}{"label":${scores.labels[row]},"probability":${Number.isFinite(probability) ? probability : 'null'}}`;
  }
  return `${json}]}`;
}

function copyRef(ref: ModelRef): ModelRef {
  return { name: ref.name, alias: ref.alias, version: ref.version };
}

function warningsOf(batch: FeatureBatch, row: number): string[] {
  const rowWarnings = batch.rowWarnings?.[row];
  if (batch.batchWarnings.length === 0) return rowWarnings ?? [];
  return [...batch.batchWarnings, ...(rowWarnings ?? [])];
}
