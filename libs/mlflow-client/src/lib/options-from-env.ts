import { MlflowConfigError } from './core/errors';
import type { MlflowAuth, MlflowClientOptions } from './core/transport';

/** Where MLflow runs when MLFLOW_TRACKING_URI is unset (DESIGN.md's default). */
export const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000';

/**
 * The variables {@link mlflowClientOptionsFromEnv} reads besides MLFLOW_TRACKING_URI (which apps
 * usually take from their validated settings): credentials and HTTP behaviour.
 */
export const MLFLOW_CLIENT_VARIABLES = [
  'MLFLOW_TRACKING_USERNAME',
  'MLFLOW_TRACKING_PASSWORD',
  'MLFLOW_TRACKING_TOKEN',
  'MLFLOW_HTTP_REQUEST_TIMEOUT',
  'MLFLOW_HTTP_REQUEST_MAX_RETRIES',
] as const;

/**
 * Client options from MLflow's own environment variables:
 * - `MLFLOW_TRACKING_URI` (default http://127.0.0.1:5000), an http(s) URL;
 * - `MLFLOW_TRACKING_USERNAME` + `MLFLOW_TRACKING_PASSWORD` → HTTP basic; else
 *   `MLFLOW_TRACKING_TOKEN` → bearer (the precedence MLflow's Python client uses);
 * - `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds) and `MLFLOW_HTTP_REQUEST_MAX_RETRIES`, when set.
 *
 * @throws MlflowConfigError naming the variable when a value is invalid or only half of the basic
 *   credentials is set. Messages never contain credential values.
 */
export function mlflowClientOptionsFromEnv(env: Record<string, string | undefined> = process.env): MlflowClientOptions {
  const trackingUri = nonEmpty(env['MLFLOW_TRACKING_URI']) ?? DEFAULT_TRACKING_URI;
  let url: URL;
  try {
    url = new URL(trackingUri);
  } catch {
    throw new MlflowConfigError('MLFLOW_TRACKING_URI must be an http(s) URL such as http://127.0.0.1:5000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowConfigError(
      `MLFLOW_TRACKING_URI must use http or https (a tracking server); got '${url.protocol}'`,
    );
  }

  const username = nonEmpty(env['MLFLOW_TRACKING_USERNAME']);
  const password = nonEmpty(env['MLFLOW_TRACKING_PASSWORD']);
  const token = nonEmpty(env['MLFLOW_TRACKING_TOKEN']);
  if (username && !password)
    throw new MlflowConfigError('MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not');
  if (password && !username)
    throw new MlflowConfigError('MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not');
  let auth: MlflowAuth | undefined;
  if (username && password) auth = { type: 'basic', username, password };
  else if (token) auth = { type: 'bearer', token };

  const options: MlflowClientOptions = { trackingUri, auth };
  const timeoutSeconds = nonEmpty(env['MLFLOW_HTTP_REQUEST_TIMEOUT']);
  if (timeoutSeconds !== undefined) {
    const seconds = Number(timeoutSeconds);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new MlflowConfigError(
        `MLFLOW_HTTP_REQUEST_TIMEOUT must be a positive number of seconds; got '${timeoutSeconds}'`,
      );
    options.timeoutMs = seconds * 1000;
  }
  const maxRetries = nonEmpty(env['MLFLOW_HTTP_REQUEST_MAX_RETRIES']);
  if (maxRetries !== undefined) {
    const retries = Number(maxRetries);
    if (!Number.isInteger(retries) || retries < 0)
      throw new MlflowConfigError(`MLFLOW_HTTP_REQUEST_MAX_RETRIES must be a whole number ≥ 0; got '${maxRetries}'`);
    options.maxRetries = retries;
  }
  return options;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
