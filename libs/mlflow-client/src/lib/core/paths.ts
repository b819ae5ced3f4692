import { MlflowArgumentError } from './errors';

/** Prefix of MLflow's tracking and registry REST API. */
export const API = '/api/2.0/mlflow';
/** Prefix of the tracking server's artifact proxy. */
export const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * Percent-encodes each segment of a slash-separated path, so names with spaces, `?`, `#` or `%`
 * reach the server as written. Empty, `.` and `..` segments are refused: the server would resolve
 * them into a different path than the caller meant.
 *
 * @example encodePathSegments('1/abc/artifacts/a b.txt') // '1/abc/artifacts/a%20b.txt'
 * @throws MlflowArgumentError naming `field` when a segment is empty, `.` or `..`
 */
export function encodePathSegments(path: string, field = 'path'): string {
  return splitPath(path, field).map(encodeURIComponent).join('/');
}

/** The segments of a slash-separated relative path, validated as in {@link encodePathSegments}. */
export function splitPath(path: string, field = 'path'): string[] {
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new MlflowArgumentError(`${field} '${path}' has an empty, '.' or '..' segment`);
    }
  }
  return segments;
}

/** Joins relative path parts with single slashes, dropping empty parts. */
export function joinPath(...parts: Array<string | undefined>): string {
  return parts
    .flatMap((part) => (part ?? '').split('/'))
    .filter((segment) => segment !== '')
    .join('/');
}
