/**
 * The Node references of the inference benchmark, one bare `http` server in three modes:
 * `node --require bench/support/register-typescript.cjs reference-server.ts <mode> <port> <arg> [<name> <alias> <version>]`.
 * `GET /serving-copy` answers, in the model modes, the inputs the graph it runs takes as codes and
 * packed, as inference-api's `/model` says of its own (serving_copy), so the benchmark can check both run the
 * same graph; any other `GET` answers 200 (readiness). `POST` reads the whole body and `JSON.parse`s it, then
 *
 *   floor        answers the constant JSON in file <arg> (inference-api's own answer to the benchmark's
 *                body, so the same size) with the headers in the JSON object of file <name> (that
 *                answer's content type and x- headers): no model, the most any Node server can do
 *                with this traffic;
 *   per-request  scores the customer with one `session.run` per request;
 *   grouped      scores it through inference-api's own ScoreCoalescer: the requests parsed in one turn
 *                of the event loop share one `session.run` (the fair ceiling for /predict);
 *
 * and, for the two model modes (<arg> is the model directory of version <version> of model <name>, served
 * under <alias>), answers what inference-api answers one customer: the same fields (prediction,
 * probability, model, variant, a request id made by inference-api's own function, warnings) and
 * the same headers, so that a client reads and parses as many bytes from either (bench/RESULTS.md
 * compares their throughputs with one load generator on the same cores).
 * Both run the graph inference-api runs (its serving copy of `model.onnx`: categories fed as int64
 * codes, column inputs packed into one tensor per type) with its SESSION_OPTIONS (graph optimisation `all`, one intra-op and one
 * inter-op thread), and build the tensors with its own functions, so they differ from the app only
 * around `session.run`: no framework, no validation beyond what the tensors need, no warnings, no
 * metrics, no leases, no prediction log, no drift window.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { InferenceSession } from 'onnxruntime-node';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the app's own graph, tensors, grouping and session options, so the references cannot drift from them
import type { FeatureBatch } from '../../../apps/inference-api/src/app/model/feature-batch';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import {
  integerCodedCategories,
  UNKNOWN_CATEGORY_CODE,
} from '../../../apps/inference-api/src/app/model/integer-coded-categories';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import type { Scores } from '../../../apps/inference-api/src/app/model/loaded-model';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { packedInputs } from '../../../apps/inference-api/src/app/model/packed-inputs';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { ScoreCoalescer } from '../../../apps/inference-api/src/app/model/score-coalescer';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import {
  packedInputPlans,
  SessionFeeds,
  type FeedColumn,
} from '../../../apps/inference-api/src/app/model/session-feeds';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { SESSION_OPTIONS } from '../../../apps/inference-api/src/app/model/session-options';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { timeOrderedUuid } from '../../../apps/inference-api/src/app/scoring/request-id';

export type ReferenceMode = 'floor' | 'per-request' | 'grouped';

interface InputPlan {
  name: string;
  type: 'float32' | 'float64' | 'string' | 'int64';
  columnVector: boolean;
  /** For an input the serving copy takes as codes: category text → code. */
  codes: ReadonlyMap<string, number> | undefined;
}

/** An answer to a POST: its JSON text and the headers beside content-type and content-length. */
interface Answer {
  body: string;
  headers: Record<string, string>;
}

/** Which version the model modes serve, as inference-api names it in its answers. */
interface ServedVersion {
  name: string;
  alias: string;
  version: string;
}

/** The graph a model mode runs, in the terms of inference-api's `/model` (serving_copy). */
export interface ServingCopy {
  integer_coded_inputs: string[];
  packed_inputs: string[];
}

/** The model modes: one customer object in, its answer out (see the top of this file), and the graph it runs. */
async function modelScorer(
  modelDir: string,
  served: ServedVersion,
  grouped: boolean,
): Promise<{ answer: (customer: Record<string, unknown>) => Promise<Answer>; servingCopy: ServingCopy }> {
  // The graph inference-api serves: its integer-coded copy when the model has one (text inputs fed as
  // codes), with its column inputs packed into one tensor per type when they can be (packed-inputs.ts).
  const original = readFileSync(join(modelDir, 'model.onnx'));
  const coded = integerCodedCategories(original);
  const columnsGraph = coded?.onnxBytes ?? original;
  const columnsSession = await InferenceSession.create(columnsGraph, { ...SESSION_OPTIONS });
  const inputs: InputPlan[] = columnsSession.inputMetadata.map((input) => {
    const tensor = input as InferenceSession.TensorValueMetadata;
    return {
      name: input.name,
      type: tensor.type as InputPlan['type'],
      columnVector: tensor.shape.length === 2,
      codes: coded?.codesByInput.get(input.name),
    };
  });
  await columnsSession.release();
  const columns: FeedColumn[] = inputs.map((input) => ({
    name: input.name,
    tensorType: input.codes ? 'string' : (input.type as FeedColumn['tensorType']),
    columnVector: input.columnVector,
    categoryCodes: input.codes,
  }));
  const packed = packedInputs(columnsGraph);
  const plans = packed && packedInputPlans(columns, packed.groups);
  const session = await InferenceSession.create(plans ? (packed?.onnxBytes ?? columnsGraph) : columnsGraph, {
    ...SESSION_OPTIONS,
  });
  const feeds = new SessionFeeds(columns, plans);
  const outputNames = ['label', 'probability'];

  /** One session call over the given one-row batches, each input joined into one tensor, as inference-api does. */
  const run = async (batches: readonly FeatureBatch[]): Promise<Scores> => {
    const results = await session.run(feeds.of(batches, batches.length), outputNames);
    const labels = results['label'].data as BigInt64Array;
    return {
      labels: Int32Array.from(labels, (label) => Number(label)),
      probabilities: results['probability'].data as Float32Array,
    };
  };

  /** The customer as a one-row batch: numbers (NaN when missing), text ('' when missing), codes (−1 when unknown). */
  const batchOf = (customer: Record<string, unknown>): FeatureBatch => ({
    rowCount: 1,
    columns: inputs.map((input) => {
      const value = customer[input.name];
      if (input.type === 'string' || input.codes) return [value === null || value === undefined ? '' : String(value)];
      const number = value === null || value === undefined || value === '' ? Number.NaN : Number(value);
      return input.type === 'float32' ? Float32Array.of(number) : Float64Array.of(number);
    }),
    categoryCodes: inputs.map((input) => {
      if (!input.codes) return undefined;
      const value = customer[input.name];
      return Int32Array.of(input.codes.get(typeof value === 'string' ? value : String(value)) ?? UNKNOWN_CATEGORY_CODE);
    }),
    rowWarnings: undefined,
    batchWarnings: [],
  });

  const coalescer = new ScoreCoalescer(run);
  const score = grouped ? (batch: FeatureBatch) => coalescer.score(batch) : (batch: FeatureBatch) => run([batch]);

  const model = { name: served.name, alias: served.alias, version: served.version };
  const servingCopy: ServingCopy = {
    integer_coded_inputs: [...(coded?.codesByInput.keys() ?? [])],
    packed_inputs: plans ? (packed?.groups ?? []).flatMap((group) => group.members.map((member) => member.name)) : [],
  };
  const answer = async (customer: Record<string, unknown>): Promise<Answer> => {
    const scores = await score(batchOf(customer));
    const requestId = timeOrderedUuid();
    return {
      body: JSON.stringify({
        prediction: scores.labels[0],
        probability: scores.probabilities[0],
        model,
        variant: 'production',
        request_id: requestId,
        warnings: [],
      }),
      headers: {
        'x-model-version': served.version,
        'x-model-alias': served.alias,
        'x-request-id': requestId,
        'x-model-variant': 'production',
      },
    };
  };
  return { answer, servingCopy };
}

async function main(): Promise<void> {
  const [mode, portText, argument, name, alias, version] = process.argv.slice(2) as [ReferenceMode, ...string[]];
  let answer: (customer: Record<string, unknown>) => Promise<Answer>;
  let servingCopy: ServingCopy | undefined;
  let contentType: string;
  if (mode === 'floor') {
    const headers = JSON.parse(readFileSync(name, 'utf8')) as Record<string, string>;
    const constant = { body: readFileSync(argument, 'utf8'), headers };
    answer = async () => constant;
    contentType = headers['content-type'] ?? 'application/json';
  } else if (mode === 'per-request' || mode === 'grouped') {
    if (version === undefined) throw new Error(`${mode} needs <model dir> <name> <alias> <version>`);
    ({ answer, servingCopy } = await modelScorer(argument, { name, alias, version }, mode === 'grouped'));
    contentType = 'application/json; charset=utf-8';
  } else {
    throw new Error(`unknown mode ${String(mode)}: expected floor, per-request or grouped`);
  }

  const server = createServer((request, response) => {
    if (request.method !== 'POST') {
      if (request.url === '/serving-copy' && servingCopy)
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(servingCopy));
      else response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      Promise.resolve()
        .then(() => answer(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>))
        .then(
          ({ body, headers }) =>
            response
              .writeHead(200, {
                'content-type': contentType,
                'content-length': Buffer.byteLength(body),
                ...headers,
              })
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
