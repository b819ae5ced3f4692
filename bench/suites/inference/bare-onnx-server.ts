/**
 * The ceiling: the same `model.onnx` behind a bare Node `http` server that does only what any
 * server must do for one prediction: read the body, `JSON.parse`, build one tensor per graph input,
 * `session.run`, `JSON.stringify` the answer. No framework, no validation beyond what the tensors
 * need, no metrics, no leases. `node --require bench/support/register-typescript.cjs
 * bare-onnx-server.ts <model dir> <port>`; `GET` answers 200 (readiness), `POST` scores one customer
 * object and answers `{ prediction, probability }`.
 *
 * The session is opened with the options inference-api uses (`graphOptimizationLevel: 'all'`), so
 * the two differ only in what surrounds `session.run`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { InferenceSession, Tensor } from 'onnxruntime-node';

interface InputPlan {
  name: string;
  numeric: boolean;
  type: 'float32' | 'float64' | 'string';
  dims: number[];
}

async function main(): Promise<void> {
  const [modelDir, portText] = process.argv.slice(2);
  const session = await InferenceSession.create(readFileSync(join(modelDir, 'model.onnx')), {
    graphOptimizationLevel: 'all',
  });
  const inputs: InputPlan[] = session.inputMetadata.map((input) => {
    const tensor = input as InferenceSession.TensorValueMetadata;
    const type = tensor.type as InputPlan['type'];
    return { name: input.name, numeric: type !== 'string', type, dims: tensor.shape.length === 2 ? [1, 1] : [1] };
  });
  const outputNames = ['label', 'probability'];

  const score = async (customer: Record<string, unknown>): Promise<string> => {
    const feeds: Record<string, Tensor> = {};
    for (const input of inputs) {
      const value = customer[input.name];
      if (input.numeric) {
        const number = value === null || value === undefined || value === '' ? Number.NaN : Number(value);
        feeds[input.name] = new Tensor(
          input.type,
          input.type === 'float32' ? Float32Array.of(number) : Float64Array.of(number),
          input.dims,
        );
      } else {
        feeds[input.name] = new Tensor(
          'string',
          [value === null || value === undefined ? '' : String(value)],
          input.dims,
        );
      }
    }
    const results = await session.run(feeds, outputNames);
    return JSON.stringify({
      prediction: Number((results['label'].data as BigInt64Array)[0]),
      probability: (results['probability'].data as Float32Array)[0],
    });
  };

  const server = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      Promise.resolve()
        .then(() => score(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>))
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
