import type { InferenceSession } from 'onnxruntime-node';

import type { SignatureColumn } from './mlmodel';
import { checkModelContract } from './model-contract';

type Meta = InferenceSession.ValueMetadata;
const tensor = (name: string, type: string, shape: (number | string)[]): Meta =>
  ({ name, isTensor: true, type, shape }) as Meta;
const signature: SignatureColumn[] = [
  { name: 'tenure', type: 'double', required: true },
  { name: 'contract', type: 'string', required: true },
];
const inputs = [tensor('tenure', 'float32', ['N']), tensor('contract', 'string', ['N'])];
const churnOutputs = [tensor('label', 'int64', ['N']), tensor('probability', 'float32', ['N'])];

describe('checkModelContract', () => {
  it("accepts the churn pipeline's graph: 1-D inputs, label and probability outputs", () => {
    const contract = checkModelContract(signature, inputs, churnOutputs, new Map([['contract', new Set(['a'])]]));
    expect(contract).toMatchObject({ probabilityOutput: 'probability', probabilityWidth: 1, labelOutput: 'label' });
    expect(contract.columns.map((c) => [c.name, c.kind, c.tensorType, c.columnVector, c.categories?.size])).toEqual([
      ['tenure', 'numeric', 'float32', false, undefined],
      ['contract', 'categorical', 'string', false, 1],
    ]);
  });

  it("accepts skl2onnx's [N,1] inputs and [N,2] probabilities (column 1 used)", () => {
    const contract = checkModelContract(
      signature,
      [tensor('tenure', 'float32', ['', 1]), tensor('contract', 'string', ['', 1])],
      [tensor('label', 'int64', ['']), tensor('probabilities', 'float32', ['', 2])],
      new Map(),
    );
    expect(contract).toMatchObject({ probabilityOutput: 'probabilities', probabilityWidth: 2, labelOutput: 'label' });
    expect(contract.columns.every((c) => c.columnVector)).toBe(true);
  });

  it.each([
    [
      'a ZipMap output',
      inputs,
      [tensor('label', 'int64', ['N']), { name: 'output_probability', isTensor: false } as Meta],
      /sequence of maps.*zipmap=False/,
    ],
    [
      'no probability output',
      inputs,
      [tensor('label', 'int64', ['N'])],
      /needs outputs label \(int64 \[N\]\) and probability/,
    ],
    ['a matrix input', [tensor('tenure', 'float32', ['N', 3]), inputs[1]], churnOutputs, /'tenure' has shape \[N, 3\]/],
    [
      'a string input for a numeric column',
      [tensor('tenure', 'string', ['N']), inputs[1]],
      churnOutputs,
      /column 'tenure' is double in the signature but the graph input is string/,
    ],
    [
      'a graph input missing from the signature',
      [...inputs, tensor('extra', 'float32', ['N'])],
      churnOutputs,
      /graph input 'extra' is not in the model signature/,
    ],
    [
      'a signature column without a graph input',
      [inputs[0]],
      churnOutputs,
      /signature column\(s\) contract have no graph input/,
    ],
  ])('refuses %s, saying how to fix the export', (_case, graphInputs, outputs, message) => {
    expect(() => checkModelContract(signature, graphInputs, outputs, new Map())).toThrow(
      expect.objectContaining({ stage: 'contract', message: expect.stringMatching(message) }),
    );
  });
});
