import { MlflowClient } from '@churn/mlflow-client';

import { validateRegistryAdminConfig } from '../config/registry-admin.config';
import { InvalidFieldError, WebhooksUnsupportedError } from '../errors/registry-errors';
import { AliasAuditStore } from '../registry/alias-audit.store';
import { ModelRegistryService } from '../registry/model-registry.service';
import { receiverUrlOf, WebhooksService } from './webhooks.service';

describe('receiverUrlOf', () => {
  it.each([
    ['http://inference-api:8000', 'http://inference-api:8000/webhooks/mlflow'],
    ['http://inference-api:8000/', 'http://inference-api:8000/webhooks/mlflow'],
    ['http://inference-api:8000/webhooks/mlflow', 'http://inference-api:8000/webhooks/mlflow'],
    ['http://inference-api:8000/webhooks/mlflow/', 'http://inference-api:8000/webhooks/mlflow'],
    ['HTTPS://Serving.Example.com:443/churn', 'https://serving.example.com/churn/webhooks/mlflow'],
    ['http://10.0.0.7:8000/churn/webhooks/mlflow', 'http://10.0.0.7:8000/churn/webhooks/mlflow'],
  ])('turns %j into the receiver URL %j', (given, expected) => {
    expect(receiverUrlOf(given)).toBe(expected);
  });

  it.each([
    ['inference-api:8000', /^url must be an http\(s\) URL/],
    ['not a url', /^url must be an http\(s\) URL such as http:\/\/inference-api:8000 \(got "not a url"\)$/],
    ['ftp://inference-api', /^url must be an http\(s\) URL \(got "ftp:\/\/inference-api"\)$/],
    ['http://user:pw@inference-api:8000', /^url must not contain credentials$/],
    [
      'http://inference-api:8000/?x=1',
      /^url must be a base URL or end in \/webhooks\/mlflow, without query or fragment$/,
    ],
  ])('refuses %j naming url', (given, message) => {
    expect(() => receiverUrlOf(given)).toThrow(InvalidFieldError);
    expect(() => receiverUrlOf(given)).toThrow(message);
  });
});

describe('WebhooksService against a server without webhooks', () => {
  it('says the server has no webhook API (501) instead of "not found"', async () => {
    // What an MLflow before 3.3 answers: the model exists, the webhook route is Flask's HTML 404.
    const fetchLikeOldMlflow: typeof fetch = async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes('/registered-models/get')) {
        return new Response(JSON.stringify({ registered_model: { name: 'churn_model' } }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      }
      return new Response('<!doctype html><title>404 Not Found</title><h1>Not Found</h1>', {
        status: 404,
        headers: { 'content-type': 'text/html' },
      });
    };
    const mlflow = new MlflowClient({
      trackingUri: 'http://old-mlflow:5000',
      fetch: fetchLikeOldMlflow,
      maxRetries: 0,
    });
    const audit = new AliasAuditStore(mlflow, '.alias-audit', 60_000);
    const service = new WebhooksService(
      mlflow,
      new ModelRegistryService(mlflow, audit),
      audit,
      validateRegistryAdminConfig({ MLFLOW_WEBHOOK_SECRET: 'hook-secret-0123456789' }),
    );
    await expect(service.list('churn_model')).rejects.toBeInstanceOf(WebhooksUnsupportedError);
    await expect(service.list('churn_model')).rejects.toMatchObject({ status: 501 });
    await expect(
      service.register({ model: 'churn_model', url: 'http://inference-api:8000', actor: 'alice' }),
    ).rejects.toThrow(/no registry webhook API \(MLflow 3\.3 or later has one\)/);
  });

  it('names secret when neither the request nor MLFLOW_WEBHOOK_SECRET gives one, before asking MLflow', async () => {
    const unreachable: typeof fetch = () => Promise.reject(new Error('MLflow must not be asked'));
    const mlflow = new MlflowClient({ trackingUri: 'http://mlflow:5000', fetch: unreachable, maxRetries: 0 });
    const audit = new AliasAuditStore(mlflow, '.alias-audit', 60_000);
    const service = new WebhooksService(
      mlflow,
      new ModelRegistryService(mlflow, audit),
      audit,
      validateRegistryAdminConfig({}),
    );
    await expect(
      service.register({ model: 'churn_model', url: 'http://inference-api:8000', actor: 'alice' }),
    ).rejects.toThrow(
      new InvalidFieldError(
        'secret',
        'is required because MLFLOW_WEBHOOK_SECRET is not set: give the HMAC key inference-api verifies deliveries with',
      ),
    );
  });
});
