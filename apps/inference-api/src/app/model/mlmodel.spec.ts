import { parseMlmodel } from './mlmodel';

const SIGNATURE = `signature:
  inputs: '[{"type": "double", "name": "tenure", "required": true}, {"type": "string", "name": "Contract", "required": false}]'
  outputs: '[{"type": "long", "name": "label", "required": true}]'
  params: null
`;

describe('parseMlmodel', () => {
  it('reads the onnx file, the column signature and the input example', () => {
    const info = parseMlmodel(`flavors:
  onnx:
    data: model.onnx
    onnx_version: 1.19.0
  python_function:
    loader_module: mlflow.onnx
mlflow_version: 3.17.2
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
${SIGNATURE}`);
    expect(info).toEqual({
      onnxFile: 'model.onnx',
      inputs: [
        { name: 'tenure', type: 'double', required: true },
        { name: 'Contract', type: 'string', required: false },
      ],
      inputExample: { path: 'input_example.json', orient: 'split' },
      mlflowVersion: '3.17.2',
    });
  });

  it.each([
    [
      'no onnx flavor',
      `flavors:\n  sklearn:\n    pickled_model: model.pkl\n${SIGNATURE}`,
      /no onnx flavor \(flavors: sklearn\)/,
    ],
    ['no signature', 'flavors:\n  onnx:\n    data: model.onnx\n', /no input signature/],
    [
      'a tensor signature',
      `flavors:\n  onnx:\n    data: model.onnx\nsignature:\n  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'\n`,
      /column-based signature/,
    ],
    [
      'an onnx file outside the directory',
      `flavors:\n  onnx:\n    data: ../../etc/passwd\n${SIGNATURE}`,
      /points outside the model directory/,
    ],
    ['text that is not YAML', 'flavors: [unclosed', /not valid YAML/],
  ])('refuses MLmodel with %s', (_case, text, message) => {
    expect(() => parseMlmodel(text)).toThrow(
      expect.objectContaining({ stage: 'mlmodel', message: expect.stringMatching(message) }),
    );
  });
});
