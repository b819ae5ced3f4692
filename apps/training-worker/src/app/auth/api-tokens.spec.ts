import { ApiTokens, ApiTokensFormatError } from './api-tokens';

describe('ApiTokens', () => {
  const tokens = ApiTokens.parse('alice:deployer+viewer:s3cret, ci:trainer:t0k:en');

  it('finds the actor of a token; the token is everything after the second colon', () => {
    expect(tokens.authenticate('s3cret')).toEqual({ name: 'alice', roles: ['deployer', 'viewer'] });
    expect(tokens.authenticate('t0k:en')).toEqual({ name: 'ci', roles: ['trainer'] });
    expect(tokens.authenticate('t0k')).toBeUndefined();
    expect(tokens.isEmpty).toBe(false);
  });

  it('is empty for an unset or blank setting', () => {
    expect(ApiTokens.parse(undefined).isEmpty).toBe(true);
    expect(ApiTokens.parse(' , ').isEmpty).toBe(true);
  });

  it.each([
    ['alice:viewer', 'API_TOKENS entry 1 must look like name:role+role:token'],
    ['alice:admin:x', 'API_TOKENS entry 1 ("alice") has unknown role "admin"'],
    ['a:viewer:x,b:viewer+:y', 'API_TOKENS entry 2 ("b") has unknown role ""'],
    ['alice:viewer:', 'API_TOKENS entry 1 ("alice") has an empty token'],
    [':viewer:x', 'API_TOKENS entry 1 has an invalid name'],
    ['a:viewer:x,a:trainer:y', 'name "a" is used twice'],
    ['a:viewer:x,b:trainer:x', 'API_TOKENS entry 2 ("b") reuses another entry\'s token'],
  ])('refuses %j with a message that names the entry and never the token', (text, message) => {
    expect(() => ApiTokens.parse(text)).toThrow(ApiTokensFormatError);
    expect(() => ApiTokens.parse(text)).toThrow(message);
  });
});
