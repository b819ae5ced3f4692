import { IsString } from 'class-validator';

import { ConfigurationError, Secret, secretSettingsOf, ServiceSettings, validateEnvironment } from './service-settings';

class ExampleSettings extends ServiceSettings {
  override PORT: number = 8009;

  @IsString()
  @Secret()
  WEBHOOK_KEY: string = '';
}

class LeakySettings extends ServiceSettings {
  @IsString()
  @Secret()
  ADMIN_TOKEN: string = 'changeme';
}

describe('validateEnvironment', () => {
  it('applies defaults, converts numbers and ignores undeclared variables', () => {
    const settings = validateEnvironment(ExampleSettings, { PORT: '9001', HOME: '/root', API_TOKENS: '' });
    expect(settings).toMatchObject({
      PORT: 9001,
      HOST: '0.0.0.0',
      API_TOKENS: '',
      WEBHOOK_KEY: '',
      LOG_FORMAT: 'text',
    });
    expect(settings).not.toHaveProperty('HOME');
    expect(validateEnvironment(ExampleSettings, {}).PORT).toBe(8009);
  });

  it('names every bad variable; a secret by name only', () => {
    const attempt = () =>
      validateEnvironment(ExampleSettings, { PORT: 'eighty', API_TOKENS: 'a:viewer:short-s3cret' }, () => [
        'extra rule',
      ]);
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      'invalid configuration: PORT must not be greater than 65535, PORT must not be less than 1, PORT must be an integer number (got "eighty"); API_TOKENS entry 1 ("a") needs a token of at least 16 characters; extra rule',
    );
    expect(attempt).not.toThrow(/s3cret/);
  });

  it('knows the secrets of a class, inherited ones included, and refuses a secret with a default', () => {
    expect([...secretSettingsOf(ExampleSettings)].sort()).toEqual(['API_TOKENS', 'WEBHOOK_KEY']);
    expect(() => validateEnvironment(LeakySettings, {})).toThrow(
      'LeakySettings.ADMIN_TOKEN is secret and must not have a default',
    );
  });
});
