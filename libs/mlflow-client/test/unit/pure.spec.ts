// Pure helpers: URI parsing, path encoding, log-batch splitting and environment options.
import {
  ALIAS_PATTERN,
  aliasNameProblem,
  encodePathSegments,
  isModelName,
  LOG_BATCH_LIMITS,
  MlflowArgumentError,
  mlflowArtifactsUriToProxyPath,
  mlflowClientOptionsFromEnv,
  MlflowConfigError,
  parseModelUri,
  parseRunsUri,
  readTrafficTags,
  splitLogBatch,
} from '../../src';

describe('URIs', () => {
  it('maps mlflow-artifacts URIs (with or without a host) to proxy paths', () => {
    expect(mlflowArtifactsUriToProxyPath('mlflow-artifacts:/1/abc/artifacts/model')).toBe('1/abc/artifacts/model');
    expect(mlflowArtifactsUriToProxyPath('mlflow-artifacts:///1/abc/artifacts')).toBe('1/abc/artifacts');
    expect(mlflowArtifactsUriToProxyPath('mlflow-artifacts://mlflow:5000/1/abc/artifacts/')).toBe('1/abc/artifacts');
    expect(() => mlflowArtifactsUriToProxyPath('s3://bucket/1')).toThrow(MlflowArgumentError);
    expect(() => mlflowArtifactsUriToProxyPath('mlflow-artifacts:/1/../2')).toThrow(/'\.\.' segment/);
  });

  it('parses runs:/ and models:/ URIs', () => {
    expect(parseRunsUri('runs:/abc/model/MLmodel')).toEqual({ run_id: 'abc', path: 'model/MLmodel' });
    expect(parseRunsUri('runs:/abc')).toEqual({ run_id: 'abc', path: '' });
    expect(parseModelUri('models:/churn_model@production')).toEqual({ name: 'churn_model', alias: 'production' });
    expect(parseModelUri('models:/churn_model/12')).toEqual({ name: 'churn_model', version: '12' });
    expect(parseModelUri('models:/team/churn@champion')).toEqual({ name: 'team/churn', alias: 'champion' });
    for (const bad of ['models:/churn_model', 'models:/churn_model/latest', 'runs:/x', 'models:/@a']) {
      expect(() => parseModelUri(bad)).toThrow(MlflowArgumentError);
    }
  });

  it('encodes each path segment and refuses traversal', () => {
    expect(encodePathSegments('1/r/artifacts/a b?c%.txt')).toBe('1/r/artifacts/a%20b%3Fc%25.txt');
    expect(() => encodePathSegments('a//b', 'artifact_path')).toThrow(/artifact_path 'a\/\/b'/);
  });
});

describe('splitLogBatch', () => {
  const metric = (step: number) => ({ key: 'm', value: step, timestamp: 0, step });
  const tag = (i: number) => ({ key: `k${i}`, value: 'v' });

  it('keeps every call within MLflow’s limits and loses nothing', () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => metric(i));
    const params = Array.from({ length: 250 }, (_, i) => tag(i));
    const tags = Array.from({ length: 120 }, (_, i) => tag(i));
    const chunks = splitLogBatch(metrics, params, tags);
    for (const chunk of chunks) {
      expect(chunk.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.metrics);
      expect(chunk.params.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params);
      expect(chunk.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags);
      expect(chunk.metrics.length + chunk.params.length + chunk.tags.length).toBeLessThanOrEqual(
        LOG_BATCH_LIMITS.entities,
      );
    }
    expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
    expect(chunks.flatMap((c) => c.params)).toEqual(params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
    // First call: 100 params + 100 tags leave room for 800 metrics.
    expect([chunks[0].params.length, chunks[0].tags.length, chunks[0].metrics.length]).toEqual([100, 100, 800]);
    expect(chunks).toHaveLength(3);
  });

  it('makes no call for nothing', () => {
    expect(splitLogBatch([], [], [])).toEqual([]);
  });
});

describe('mlflowClientOptionsFromEnv', () => {
  it('defaults to the local server without auth', () => {
    expect(mlflowClientOptionsFromEnv({})).toEqual({ trackingUri: 'http://127.0.0.1:5000', auth: undefined });
  });

  it('reads basic credentials before a token (MLflow’s precedence), and timeouts/retries', () => {
    expect(
      mlflowClientOptionsFromEnv({
        MLFLOW_TRACKING_URI: 'https://mlflow.example',
        MLFLOW_TRACKING_USERNAME: 'alice',
        MLFLOW_TRACKING_PASSWORD: 'pw',
        MLFLOW_TRACKING_TOKEN: 'tok',
        MLFLOW_HTTP_REQUEST_TIMEOUT: '30',
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '5',
      }),
    ).toEqual({
      trackingUri: 'https://mlflow.example',
      auth: { type: 'basic', username: 'alice', password: 'pw' },
      timeoutMs: 30_000,
      maxRetries: 5,
    });
    expect(mlflowClientOptionsFromEnv({ MLFLOW_TRACKING_TOKEN: 'tok' }).auth).toEqual({ type: 'bearer', token: 'tok' });
  });

  it('names the variable on bad input and never echoes secrets', () => {
    expect(() => mlflowClientOptionsFromEnv({ MLFLOW_TRACKING_URI: 'file:///tmp/mlruns' })).toThrow(
      /MLFLOW_TRACKING_URI/,
    );
    expect(() => mlflowClientOptionsFromEnv({ MLFLOW_TRACKING_URI: 'not a url' })).toThrow(MlflowConfigError);
    expect(() => mlflowClientOptionsFromEnv({ MLFLOW_TRACKING_USERNAME: 'alice' })).toThrow(
      /MLFLOW_TRACKING_PASSWORD is not/,
    );
    expect(() => mlflowClientOptionsFromEnv({ MLFLOW_TRACKING_PASSWORD: 'hunter2' })).toThrow(
      /^(?!.*hunter2).*MLFLOW_TRACKING_USERNAME/,
    );
    expect(() => mlflowClientOptionsFromEnv({ MLFLOW_HTTP_REQUEST_TIMEOUT: '-1' })).toThrow(
      /MLFLOW_HTTP_REQUEST_TIMEOUT/,
    );
    expect(() => mlflowClientOptionsFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2.5' })).toThrow(
      /MLFLOW_HTTP_REQUEST_MAX_RETRIES/,
    );
  });
});

describe('naming rules', () => {
  it('accepts model names MLflow and our URIs take, and refuses the rest', () => {
    for (const good of ['churn_model', 'm_1.x', 'A-b']) expect(isModelName(good)).toBe(true);
    for (const bad of ['', '../etc', '_x', 'a b', 'a/b']) expect(isModelName(bad)).toBe(false);
  });

  it.each([
    ['production', undefined],
    ['Ab_1-c', undefined],
    ['ünïcode_1-a', "'ünïcode_1-a' may only contain ASCII letters, digits, underscores (_) and dashes (-)"],
    ['', 'must not be empty'],
    ['a'.repeat(256), 'must have at most 255 characters'],
    ['a.b', "'a.b' may only contain ASCII letters, digits, underscores (_) and dashes (-)"],
    ['LATEST', "'LATEST' is reserved by MLflow"],
    ['v3', "'v3' is reserved by MLflow for version references"],
  ])('alias %j: %j', (alias, problem) => {
    expect(aliasNameProblem(alias)).toBe(problem);
    // The one pattern of the OpenAPI documents agrees with the worded check.
    expect(ALIAS_PATTERN.test(alias)).toBe(problem === undefined);
  });
});

describe('readTrafficTags', () => {
  const tags = (record: Record<string, string>) => Object.entries(record).map(([key, value]) => ({ key, value }));

  it('reads no tags as no split, shadow and per-request split off, no salt', () => {
    expect(readTrafficTags(undefined)).toEqual({
      challengerShare: null,
      shadow: false,
      salt: null,
      perRequest: false,
      problems: [],
    });
  });

  it('takes flags in any case with spaces around them, and trims the salt', () => {
    const read = readTrafficTags(
      tags({
        'traffic.challenger_share': ' 0.25 ',
        'traffic.shadow': ' TRUE ',
        'traffic.salt': ' exp-7 ',
        'traffic.per_request': 'True',
      }),
    );
    expect(read).toEqual({ challengerShare: 0.25, shadow: true, salt: 'exp-7', perRequest: true, problems: [] });
  });

  it('reads a malformed tag as absent and names it; blank tags are absent without a problem', () => {
    expect(
      readTrafficTags(
        tags({
          'traffic.challenger_share': '1.5',
          'traffic.shadow': 'yes',
          'traffic.salt': '  ',
          'traffic.per_request': 'on',
        }),
      ),
    ).toEqual({
      challengerShare: null,
      shadow: false,
      salt: null,
      perRequest: false,
      problems: [
        'traffic.challenger_share must be a number from 0 to 1, got "1.5"; no split applied',
        'traffic.shadow must be true or false, got "yes"; shadow off',
      ],
    });
    expect(readTrafficTags(tags({ 'traffic.challenger_share': ' ', 'traffic.shadow': ' False ' })).problems).toEqual(
      [],
    );
  });
});
