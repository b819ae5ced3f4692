/** Removes credentials from text bound for an error body or a log line. */

const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
// Case-sensitive and 8+ credential characters, so prose ("missing bearer token") and the
// placeholder `Bearer <token>` stay readable.
const BEARER = /\b(Bearer|Basic) +[A-Za-z0-9._~+/=-]{8,}/g;
const SECRET_QUERY = /([?&](?:token|access_token|password|secret|key|signature)=)[^&\s#"']+/gi;

/**
 * The text with every `user:pass@` of a URI, every `Bearer`/`Basic` credential and every secret-like
 * query parameter replaced by `***`. A tracking URI such as `https://bot:pw@mlflow:5000` is how an
 * operator may pass MLflow's credentials, so every message that names MLflow passes through here.
 * @example redactCredentials('MLflow at https://bot:pw@mlflow:5000 refused') // 'MLflow at https://***@mlflow:5000 refused'
 */
export function redactCredentials(text: string): string {
  return text.replace(USER_INFO, '$1***@').replace(BEARER, '$1 ***').replace(SECRET_QUERY, '$1***');
}
