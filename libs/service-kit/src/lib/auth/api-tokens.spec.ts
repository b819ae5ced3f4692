import { ApiTokens, ApiTokensFormatError, secretSettingProblems } from './api-tokens';

describe('ApiTokens', () => {
  const tokens = ApiTokens.parse('alice:deployer+viewer:s3cret-0123456789, ci:trainer:t0ken:with:colons:01');

  it('finds the caller of a token; the token is everything after the second colon', () => {
    expect(tokens.authenticate('s3cret-0123456789')).toEqual({ name: 'alice', roles: ['deployer', 'viewer'] });
    expect(tokens.authenticate('t0ken:with:colons:01')).toEqual({ name: 'ci', roles: ['trainer'] });
    expect(tokens.authenticate('t0ken')).toBeUndefined();
    expect(tokens.isEmpty).toBe(false);
  });

  it('is empty for an unset or blank setting', () => {
    expect(ApiTokens.parse(undefined).isEmpty).toBe(true);
    expect(ApiTokens.parse(' , ').isEmpty).toBe(true);
  });

  it.each([
    ['alice:viewer', 'API_TOKENS entry 1 must look like name:role+role:token'],
    ['alice:admin:s3cret-0123456789', 'API_TOKENS entry 1 ("alice") has unknown role "admin"'],
    ['a:viewer:s3cret-0123456789,b:viewer+:s3cret-9876543210', 'API_TOKENS entry 2 ("b") has unknown role ""'],
    ['alice::s3cret-0123456789', 'API_TOKENS entry 1 ("alice") has unknown role ""'],
    ['alice:viewer:s3cret-short', 'API_TOKENS entry 1 ("alice") needs a token of at least 16 characters'],
    ['alice:viewer:', 'API_TOKENS entry 1 ("alice") needs a token of at least 16 characters'],
    [':viewer:s3cret-0123456789', 'API_TOKENS entry 1 has an invalid name'],
    ['_a:viewer:s3cret-0123456789', 'API_TOKENS entry 1 has an invalid name'],
    ['b ob:viewer:s3cret-0123456789', 'API_TOKENS entry 1 has an invalid name'],
    ['a:viewer:s3cret-0123456789,a:trainer:s3cret-9876543210', 'API_TOKENS entry 2: name "a" is used twice'],
    [
      'a:viewer:s3cret-0123456789,b:trainer:s3cret-0123456789',
      'API_TOKENS entry 2 ("b") reuses another entry\'s token',
    ],
  ])('refuses %j naming the entry and never echoing the token', (text, message) => {
    expect(() => ApiTokens.parse(text)).toThrow(ApiTokensFormatError);
    expect(() => ApiTokens.parse(text)).toThrow(message);
    try {
      ApiTokens.parse(text);
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('does not show tokens or their digests when serialised', () => {
    expect(JSON.stringify({ tokens })).toBe('{"tokens":"ApiTokens(alice, ci)"}');
  });
});

describe('secretSettingProblems', () => {
  const long = (label: string) => `${label}-0123456789abcdef`;

  it('accepts unset and distinct long secrets', () => {
    expect(secretSettingProblems({ A: long('a'), B: long('b'), C: '' }, `ops:viewer:${long('ops')}`)).toEqual([]);
  });

  it('names each short, repeated or API_TOKENS-reused secret by setting, never by value', () => {
    const problems = secretSettingProblems(
      { RELOAD: 'short', FEEDBACK: long('same'), HOOK: long('same'), RETRAIN: long('ops') },
      `ops:trainer:${long('ops')}`,
    );
    expect(problems).toEqual([
      'RELOAD must be at least 16 characters',
      'HOOK must differ from FEEDBACK',
      'RETRAIN must differ from the token of API_TOKENS entry "ops"',
    ]);
    expect(problems.join(' ')).not.toMatch(/0123456789|short/);
  });
});
