/**
 * The Node references of the inference benchmark, one bare `http` server in three modes:
 * `node --require bench/support/register-typescript.cjs reference-server.ts <mode> <port> <arg>`.
 * `GET` answers 200 (readiness); `POST` reads the whole body and `JSON.parse`s it, then
 *
 *   floor        answers the constant JSON in file <arg> (inference-api's own answer to the benchmark's
 *                body, so the same size): no model, the most any Node server can do with this traffic;
 *   per-request  scores the customer with one `session.run` per request;
 *   grouped      scores it through inference-api's own ScoreCoalescer: the requests parsed in one turn
 *                of the event loop share one `session.run` (the fair ceiling for /predict);
 *
 * and, for the two model modes (<arg> is the model directory), answers `{ prediction, probability }`.
 * Both open `model.onnx` with inference-api's SESSION_OPTIONS (graph optimisation `all`, one intra-op
 * and one inter-op thread), so they differ from the app only around `session.run`: no framework, no
 * validation beyond what the tensors need, no metrics, no leases, no prediction log.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { InferenceSession, Tensor } from 'onnxruntime-node';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the app's own grouping and session options, so the ceiling cannot drift from them
import type { FeatureBatch } from '../../../apps/inference-api/src/app/model/feature-batch';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import type { Scores } from '../../../apps/inference-api/src/app/model/loaded-model';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { ScoreCoalescer } from '../../../apps/inference-api/src/app/model/score-coalescer';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { SESSION_OPTIONS } from '../../../apps/inference-api/src/app/model/session-options';

export type ReferenceMode = 'floor' | 'per-request' | 'grouped';

interface InputPlan {
  name: string;
  type: 'float32' | 'float64' | 'string';
  columnVector: boolean;
}

/** One customer's values, one entry per graph input: a number (NaN when missing) or a text. */
type Row = (number | string)[];

/** The model modes: one customer object in, its answer's JSON out. */
async function modelScorer(
  modelDir: string,
  grouped: boolean,
): Promise<(customer: Record<string, unknown>) => Promise<string>> {
  const session = await InferenceSession.create(readFileSync(join(modelDir, 'model.onnx')), { ...SESSION_OPTIONS });
  const inputs: InputPlan[] = session.inputMetadata.map((input) => {
    const tensor = input as InferenceSession.TensorValueMetadata;
    return { name: input.name, type: tensor.type as InputPlan['type'], columnVector: tensor.shape.length === 2 };
  });
  const outputNames = ['label', 'probability'];

  /** One session call over the given rows, one tensor per input. */
  const run = async (rows: readonly Row[]): Promise<Scores> => {
    const feeds: Record<string, Tensor> = {};
    inputs.forEach((input, index) => {
      const dims = input.columnVector ? [rows.length, 1] : [rows.length];
      if (input.type === 'string') {
        feeds[input.name] = new Tensor(
          'string',
          rows.map((row) => row[index] as string),
          dims,
        );
      } else {
        const values = input.type === 'float32' ? new Float32Array(rows.length) : new Float64Array(rows.length);
        rows.forEach((row, at) => (values[at] = row[index] as number));
        feeds[input.name] = new Tensor(input.type, values, dims);
      }
    });
    const results = await session.run(feeds, outputNames);
    const labels = results['label'].data as BigInt64Array;
    return {
      labels: Int32Array.from(labels, (label) => Number(label)),
      probabilities: results['probability'].data as Float32Array,
    };
  };

  const rowOf = (customer: Record<string, unknown>): Row =>
    inputs.map((input) => {
      const value = customer[input.name];
      if (input.type === 'string') return value === null || value === undefined ? '' : String(value);
      return value === null || value === undefined || value === '' ? Number.NaN : Number(value);
    });

  // The coalescer hands back the batches it was given; a bare server's batch is one row, kept beside it.
  const rowsOf = new WeakMap<FeatureBatch, Row>();
  const coalescer = new ScoreCoalescer((batches) => run(batches.map((batch) => rowsOf.get(batch) as Row)));
  const score = grouped
    ? (row: Row) => {
        const batch: FeatureBatch = {
          rowCount: 1,
          columns: [],
          categoryCodes: [],
          rowWarnings: undefined,
          batchWarnings: [],
        };
        rowsOf.set(batch, row);
        return coalescer.score(batch);
      }
    : (row: Row) => run([row]);

  return async (customer) => {
    const scores = await score(rowOf(customer));
    return JSON.stringify({ prediction: scores.labels[0], probability: scores.probabilities[0] });
  };
}

async function main(): Promise<void> {
  const [mode, portText, argument] = process.argv.slice(2) as [ReferenceMode, string, string];
  let answer: (customer: Record<string, unknown>) => Promise<string>;
  if (mode === 'floor') {
    const constant = readFileSync(argument, 'utf8');
    answer = async () => constant;
  } else if (mode === 'per-request' || mode === 'grouped') {
    answer = await modelScorer(argument, mode === 'grouped');
  } else {
    throw new Error(`unknown mode ${String(mode)}: expected floor, per-request or grouped`);
  }

  const server = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      Promise.resolve()
        .then(() => answer(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>))
        .then(
          (body) =>
            response
              .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
              .end(body),
          (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
        );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(portText), '127.0.0.1');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
