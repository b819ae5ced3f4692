import { CliFlagError } from '@churn/service-kit';

import { parseTrainFlags } from './train-flags';

describe('parseTrainFlags', () => {
  it('fills in the defaults when no flag is given', () => {
    expect(parseTrainFlags([])).toEqual({
      data: undefined,
      schema: undefined,
      seed: 42,
      gateF1: 0.5,
      experiment: undefined,
      modelName: undefined,
      register: true,
    });
  });

  it('reads every flag in --name=value form, and a bare --register as true', () => {
    expect(
      parseTrainFlags([
        '--data=a.csv',
        '--schema=s.json',
        '--seed=7',
        '--gate-f1=0.65',
        '--experiment=exp one',
        '--model-name=m_1.x',
        '--register=false',
      ]),
    ).toEqual({
      data: 'a.csv',
      schema: 's.json',
      seed: 7,
      gateF1: 0.65,
      experiment: 'exp one',
      modelName: 'm_1.x',
      register: false,
    });
    expect(parseTrainFlags(['--register']).register).toBe(true);
    expect(parseTrainFlags(['--seed=4294967295', '--gate-f1=1']).seed).toBe(4294967295);
  });

  it.each([
    [['--seed=abc'], '--seed: must be an integer from 0 to 4294967295, got "abc"'],
    [['--seed=-1'], '--seed: must be an integer'],
    [['--seed=1.5'], '--seed: must be an integer'],
    [['--seed=4294967296'], '--seed: must be an integer'],
    [['--gate-f1=2'], '--gate-f1: must be a number from 0 to 1, got "2"'],
    [['--gate-f1=NaN'], '--gate-f1: must be a number from 0 to 1'],
    [['--gate-f1='], '--gate-f1: is empty'],
    [['--register=maybe'], '--register: must be true or false, got "maybe"'],
    [['--model-name=../etc'], '--model-name: "../etc" is not a registered model name'],
    [['--epochs=3'], '--epochs: unknown flag'],
    [['--seed'], '--seed: needs a value'],
    [['--seed=1', '--seed=2'], '--seed: given twice'],
    [['data.csv'], 'data.csv: unexpected argument'],
  ])('%j fails naming the flag', (args, message) => {
    expect(() => parseTrainFlags(args)).toThrow(CliFlagError);
    expect(() => parseTrainFlags(args)).toThrow(message);
  });
});
