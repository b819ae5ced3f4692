import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsString, IsUrl, Matches, Max, Min, validateSync } from 'class-validator';

/**
 * Every setting of registry-admin, read from the environment once at start-up. Types are written
 * out: class-transformer converts `"8000"` to a number only when decorator metadata names the type.
 */
export class RegistryAdminConfig {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 8001;

  @IsString()
  HOST: string = '0.0.0.0';

  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  MLFLOW_TRACKING_URI: string = 'http://127.0.0.1:5000';

  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: '$property must be a registered model name (letters, digits, _ . -)' })
  MODEL_NAME: string = 'churn_model';

  @Matches(/^[A-Za-z_][A-Za-z0-9_-]*$/, { message: '$property must be an alias name (letters, digits, _ -, not starting with a digit)' })
  MODEL_ALIAS: string = 'production';

  @IsIn(['text', 'json'])
  LOG_FORMAT: 'text' | 'json' = 'text';
}

/**
 * Validates the environment; throws one message naming every bad variable, its problem and value.
 * @throws {Error} when a setting is missing or malformed
 */
export function validateRegistryAdminConfig(environment: Record<string, unknown>): RegistryAdminConfig {
  const declared = Object.keys(new RegistryAdminConfig());
  const provided = Object.fromEntries(
    Object.entries(environment).filter(([key, value]) => declared.includes(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(RegistryAdminConfig, provided, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config);
  if (errors.length > 0) {
    // class-validator's messages already start with the variable's name.
    const problems = errors.map(
      (error) => `${Object.values(error.constraints ?? {}).join(', ')} (got ${JSON.stringify(provided[error.property])})`,
    );
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return config;
}
