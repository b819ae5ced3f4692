import { InvalidFieldError } from '../errors/registry-errors';
import { KeyedMutex } from './keyed-mutex';
import { assertAliasName, checkReason, parseVersionNumber } from './request-fields';

describe('request fields', () => {
  it('accepts the aliases MLflow accepts, in ASCII (as inference-api can serve them)', () => {
    for (const alias of ['production', 'champion', 'canary-2', 'my_alias', 'v2-candidate', 'vX', '1st'])
      expect(assertAliasName(alias)).toBe(alias);
  });

  it.each([
    ['', 'alias must not be empty'],
    ['latest', "alias 'latest' is reserved by MLflow"],
    ['LATEST', "alias 'LATEST' is reserved by MLflow"],
    ['V12', "alias 'V12' is reserved by MLflow for version references"],
    ['a b', "alias 'a b' may only contain ASCII letters, digits, underscores (_) and dashes (-)"],
    ['a/b', "alias 'a/b' may only contain ASCII letters, digits, underscores (_) and dashes (-)"],
    ['Ünïcode', "alias 'Ünïcode' may only contain ASCII letters, digits, underscores (_) and dashes (-)"],
    ['x'.repeat(256), 'alias must have at most 255 characters'],
  ])('refuses alias %j naming the field', (alias, message) => {
    expect(() => assertAliasName(alias)).toThrow(new InvalidFieldError('alias', message.replace(/^alias /, '')));
    expect(() => assertAliasName(alias)).toThrow(message);
  });

  it('parses versions from numbers and decimal text only', () => {
    expect(parseVersionNumber(3, 'to')).toBe('3');
    expect(parseVersionNumber(' 12 ', 'to')).toBe('12');
    for (const bad of [0, -1, 1.5, '01', 'two', '', null, undefined, '1e3']) {
      expect(() => parseVersionNumber(bad, 'version')).toThrow(
        /^version must be a positive whole version number such as 3/,
      );
    }
  });

  it('limits reasons to 500 characters and treats blank ones as none', () => {
    expect(checkReason(undefined)).toBeNull();
    expect(checkReason('  ')).toBeNull();
    expect(checkReason(' hotfix ')).toBe('hotfix');
    expect(checkReason('x'.repeat(500))).toHaveLength(500);
    expect(() => checkReason('x'.repeat(501))).toThrow('reason must have at most 500 characters (got 501)');
  });
});

describe('KeyedMutex', () => {
  it('runs sections of one key one at a time, in arrival order, and releases after a failure', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const section =
      (name: string, ms: number, fail = false) =>
      async () => {
        events.push(`${name} start`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      mutex.run('a', section('first', 30, true)),
      mutex.run('a', section('second', 1)),
      mutex.run('b', section('other', 1)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(events.indexOf('second start')).toBeGreaterThan(events.indexOf('first end'));
    expect(events.indexOf('other end')).toBeLessThan(events.indexOf('first end'));
  });
});
