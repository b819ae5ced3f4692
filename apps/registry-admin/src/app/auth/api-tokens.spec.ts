import { ApiTokens } from './api-tokens';

describe('ApiTokens', () => {
  const tokens = ApiTokens.parse('alice:deployer+viewer:s3cret-token, ci:trainer:t0ken:with:colons');

  it('finds the caller of a token, with its roles; the token may contain colons', () => {
    expect(tokens.callerFor('s3cret-token')).toEqual({ name: 'alice', roles: new Set(['deployer', 'viewer']) });
    expect(tokens.callerFor('t0ken:with:colons')?.name).toBe('ci');
    expect(tokens.callerFor('nope')).toBeUndefined();
  });

  it('is empty for an empty setting', () => {
    expect(ApiTokens.parse('').isEmpty).toBe(true);
    expect(ApiTokens.parse(' , ').isEmpty).toBe(true);
  });

  it.each([
    ['alice', 'API_TOKENS entry 1 must look like name:role+role:token'],
    [
      'alice:admin:s3cret-token',
      'API_TOKENS entry 1 (alice): roles must be viewer, deployer, trainer joined by +; got "admin"',
    ],
    ['a:viewer:s3cret-token,a:viewer:other-token', 'API_TOKENS entry 2: the name a is used twice'],
    ['bob:viewer:short', 'API_TOKENS entry 1 (bob): the token must have at least 8 characters'],
    ['b ob:viewer:s3cret-token', 'API_TOKENS entry 1: the name must be letters, digits, _ . @ -'],
  ])('refuses %j naming the entry and never echoing the token', (setting, message) => {
    expect(() => ApiTokens.parse(setting)).toThrow(message);
    try {
      ApiTokens.parse(setting);
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('does not show tokens when inspected or serialised', () => {
    expect(JSON.stringify(tokens)).not.toContain('s3cret');
  });
});
