import { toYaml, YamlEmitError, type YamlValue } from '../../src/lib/mlflow-model';
import { runPythonScript } from './run-python';

/** Strings a careless emitter would let YAML read as something else (booleans, numbers, null, syntax). */
const TRICKY_STRINGS = [
  'yes',
  'No',
  'ON',
  'y',
  'null',
  '~',
  'true',
  '',
  ' ',
  '3.11',
  '3.11.7',
  '1e5',
  '0x10',
  '012',
  '.inf',
  '.nan',
  '2026-03-01',
  '1:20',
  '-r requirements.txt',
  '- item',
  'a: b',
  'a #b',
  '# comment',
  "it's",
  '"quoted"',
  '{x}',
  '[1]',
  '&anchor',
  '*alias',
  '!tag',
  '|',
  '>',
  '%',
  '@',
  '`',
  '<<',
  '=',
  'line\nbreak',
  'tab\there',
  'trailing ',
  ' leading',
  'Ünïcödé',
  'Bank transfer (automatic)',
  'mlflow==3.17.2',
  'pip<=23.2.1',
  'python=3.11.7',
  '{"type": "double", "name": "tenure", "required": true}',
];

describe('toYaml', () => {
  it('writes documents PyYAML reads back unchanged, tricky strings included', () => {
    const documents: YamlValue[] = [
      { strings: TRICKY_STRINGS, keyed: Object.fromEntries(TRICKY_STRINGS.map((s, i) => [s, i])) },
      {
        flavors: { onnx: { code: null, providers: ['CPUExecutionProvider'], onnx_session_options: null } },
        numbers: [0, -1, 2.5, 1e-7, -3.5e-12, 1e21, 123456789012],
        flags: [true, false],
        empty: { list: [], map: {} },
        dependencies: ['python=3.11.7', { pip: ['mlflow==3.17.2', 'onnx==1.23.2'] }, [['nested', 'lists'], []]],
      },
      ['top-level', 'list'],
    ];
    const parsed = runPythonScript<unknown[]>('yaml_round_trip.py', { documents: documents.map(toYaml) });
    expect(parsed).toEqual(documents);
  });

  it('writes block style, two spaces a level, ending with a newline', () => {
    expect(
      toYaml({ env: { conda: 'conda.yaml' }, providers: ['CPUExecutionProvider'], code: null, deps: [{ pip: ['a'] }] }),
    ).toBe('env:\n  conda: conda.yaml\nproviders:\n  - CPUExecutionProvider\ncode: null\ndeps:\n  - pip:\n      - a\n');
  });

  it('refuses numbers YAML readers disagree on', () => {
    expect(() => toYaml({ size: Number.NaN })).toThrow(YamlEmitError);
    expect(() => toYaml([Number.POSITIVE_INFINITY])).toThrow('cannot write the number Infinity');
  });
});
