import { parseCliArguments } from './registry-cli';

describe('parseCliArguments', () => {
  it('reads --flag=value and --flag value, and --force bare or as nx writes it', () => {
    expect(
      parseCliArguments('promote', [
        '--to=2',
        '--alias',
        'champion',
        '--model-name=churn_model',
        '--force',
        '--reason=a=b c',
      ]),
    ).toEqual({
      to: '2',
      alias: 'champion',
      modelName: 'churn_model',
      force: true,
      reason: 'a=b c',
    });
    expect(parseCliArguments('promote', ['--force=false']).force).toBe(false);
    expect(parseCliArguments('rollback', [])).toEqual({ force: false });
  });

  it('names unknown, valueless and positional arguments', () => {
    expect(() => parseCliArguments('rollback', ['--force'])).toThrow('--force is not an option of rollback');
    expect(() => parseCliArguments('promote', ['--versio=2'])).toThrow(
      '--versio is not an option of promote (options: --to, --alias, --model-name, --force, --reason)',
    );
    expect(() => parseCliArguments('promote', ['--to'])).toThrow('--to needs a value');
    expect(() => parseCliArguments('promote', ['2'])).toThrow('2 is not a --flag=value argument');
    expect(() => parseCliArguments('promote', ['--force=yes'])).toThrow('--force takes no value (or true/false)');
  });
});
