import { CliFlagError } from '@churn/service-kit';

import { parseDriftReportFlags } from './drift-report-flags';

describe('parseDriftReportFlags', () => {
  it('reads every flag', () => {
    expect(
      parseDriftReportFlags(['--data=live.csv', '--model-name=churn.v2', '--alias=1st-choice', '--out=reports']),
    ).toEqual({
      data: 'live.csv',
      modelName: 'churn.v2',
      alias: '1st-choice',
      out: 'reports',
      modelVersion: undefined,
    });
    expect(parseDriftReportFlags(['--data=live.csv', '--model-version=3'])).toMatchObject({ modelVersion: '3' });
  });

  it.each([
    [['--model-version=3'], '--data: is required; usage: drift-report'],
    [['--data=a.csv', '--model-version=0'], '--model-version: "0" is not a model version number (1, 2, …)'],
    [['--data=a.csv', '--model-version=3', '--alias=production'], '--alias: cannot be combined with --model-version'],
    [['--data=a.csv', '--alias=v3'], "--alias: 'v3' is reserved by MLflow for version references"],
    [
      ['--data=a.csv', '--model-name=../etc'],
      '--model-name: "../etc" is not a registered model name (letters, digits, _ . -)',
    ],
    [['--data=a.csv', '--colour=red'], '--colour: unknown flag (options of drift-report: --data, --model-version'],
    [['--data=a.csv', '--data=b.csv'], '--data: given twice'],
  ])('refuses %j, naming the flag', (args, message) => {
    const parse = () => parseDriftReportFlags(args);
    expect(parse).toThrow(CliFlagError);
    expect(parse).toThrow(message);
  });
});
