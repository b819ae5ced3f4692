/**
 * MLflow's URI schemes, parsed without a server round trip:
 * - `mlflow-artifacts:/<path>` and `mlflow-artifacts://<host>/<path>`: a path behind the artifact proxy;
 * - `runs:/<run_id>/<path>`: a path inside a run's artifact root;
 * - `models:/<name>@<alias>` and `models:/<name>/<version>`: a registered model version.
 */
import { MlflowArgumentError } from './core/errors';
import { joinPath, splitPath } from './core/paths';

/** A `models:/` URI, by alias or by version number. */
export type ModelUriRef =
  { name: string; alias: string; version?: undefined } | { name: string; version: string; alias?: undefined };

/**
 * The artifact proxy path of an `mlflow-artifacts:` URI: the part after the scheme (and host, when
 * the URI names one; this client always uses its own server's proxy).
 *
 * @example mlflowArtifactsUriToProxyPath('mlflow-artifacts:/1/abc/artifacts/model') // '1/abc/artifacts/model'
 * @example mlflowArtifactsUriToProxyPath('mlflow-artifacts://mlflow:5000/1/abc/artifacts') // '1/abc/artifacts'
 * @throws MlflowArgumentError when the URI has another scheme or an empty, `.` or `..` segment
 */
export function mlflowArtifactsUriToProxyPath(uri: string): string {
  const prefix = 'mlflow-artifacts:';
  if (!uri.startsWith(prefix)) throw new MlflowArgumentError(`artifact URI '${uri}' does not start with '${prefix}'`);
  let rest = uri.slice(prefix.length);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  const path = joinPath(rest);
  if (path === '') throw new MlflowArgumentError(`artifact URI '${uri}' names no path`);
  splitPath(path, `artifact URI '${uri}'`);
  return path;
}

/**
 * @example parseRunsUri('runs:/abc123/model') // { run_id: 'abc123', path: 'model' }
 * @throws MlflowArgumentError when the URI is not `runs:/<run_id>[/<path>]`
 */
export function parseRunsUri(uri: string): { run_id: string; path: string } {
  const match = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match) throw new MlflowArgumentError(`'${uri}' is not a runs:/<run_id>/<path> URI`);
  const path = joinPath(match[2]);
  if (path) splitPath(path, `runs URI '${uri}'`);
  return { run_id: match[1], path };
}

/**
 * @example parseModelUri('models:/churn_model@production') // { name: 'churn_model', alias: 'production' }
 * @example parseModelUri('models:/churn_model/3') // { name: 'churn_model', version: '3' }
 * @throws MlflowArgumentError when the URI is neither form
 */
export function parseModelUri(uri: string): ModelUriRef {
  const match = /^models:\/+(.+)$/.exec(uri);
  if (match) {
    const body = match[1];
    const at = body.lastIndexOf('@');
    if (at > 0 && at < body.length - 1 && !body.slice(at).includes('/'))
      return { name: body.slice(0, at), alias: body.slice(at + 1) };
    const slash = body.lastIndexOf('/');
    if (slash > 0 && /^\d+$/.test(body.slice(slash + 1)))
      return { name: body.slice(0, slash), version: body.slice(slash + 1) };
  }
  throw new MlflowArgumentError(`'${uri}' is not a models:/<name>@<alias> or models:/<name>/<version> URI`);
}
