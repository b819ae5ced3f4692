import { CliFlagError, parseFlags } from './cli';

describe('parseFlags', () => {
  const spec = { command: 'promote', values: ['to', 'model-name'], switches: ['force'] } as const;

  it('reads --flag=value, --flag value and switches bare or as nx writes them', () => {
    expect(parseFlags(spec, ['--to=2', '--model-name', 'churn_model', '--force'])).toEqual({
      values: { to: '2', 'model-name': 'churn_model' },
      switches: { force: true },
    });
    expect(parseFlags(spec, ['--force=false', '--to=a=b c'])).toEqual({
      values: { to: 'a=b c' },
      switches: { force: false },
    });
  });

  it.each([
    [['2'], '2: unexpected argument, not a --flag=value (options of promote: --to, --model-name, --force)'],
    [['--versio=2'], '--versio: unknown flag'],
    [['--to'], '--to: needs a value: --to=<value>'],
    [['--to', '--force'], '--to: needs a value'],
    [['--to= '], '--to: is empty'],
    [['--to=1', '--to=2'], '--to: given twice'],
    [['--force=yes'], '--force: must be true or false, got "yes"'],
  ])('%j fails naming the flag', (args, message) => {
    expect(() => parseFlags(spec, args)).toThrow(CliFlagError);
    expect(() => parseFlags(spec, args)).toThrow(message);
  });
});
