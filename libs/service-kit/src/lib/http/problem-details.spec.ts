import { HttpException, NotFoundException } from '@nestjs/common';

import {
  AliasNotFoundError,
  BadRequestError,
  MlflowConnectionError,
  MlflowError,
  MlflowServerError,
  MlflowTimeoutError,
  PermissionDeniedError,
  RateLimitedError,
  UnauthenticatedError,
} from '@churn/mlflow-client';

import { MLFLOW_RETRY_AFTER_SECONDS } from './mlflow-problems';
import { ProblemError } from './problem';
import { problemAnswerFor } from './problem-details.filter';
import { redactCredentials } from './redact';
import { RouteMethods } from './route-methods';

const context = { service: 'registry-admin', trackingUri: 'https://bot:pa55@mlflow:5000' };

describe('problemAnswerFor: one mapping of MLflow failures', () => {
  const request = { method: 'GET', path: '/api/2.0/mlflow/registered-models/get' };
  it.each([
    ['unreachable', new MlflowConnectionError('connect ECONNREFUSED', { request })],
    ['timing out', new MlflowTimeoutError(1000, { request })],
    ['5xx', new MlflowServerError('HTTP 500', { status: 500, request })],
    ['429', new RateLimitedError('HTTP 429', { status: 429, request })],
  ])('MLflow %s → 503 with Retry-After, naming MLflow without its credentials', (_case, error) => {
    const answer = problemAnswerFor(error, context);
    expect(answer?.problem).toMatchObject({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
    expect(answer?.problem.detail).toMatch(/^MLflow at https:\/\/\*\*\*@mlflow:5000 is unavailable \(.+\); try again$/);
    expect(answer?.retryAfterSeconds).toBe(MLFLOW_RETRY_AFTER_SECONDS);
  });

  it.each([
    [new UnauthenticatedError('HTTP 401', { status: 401 })],
    [new PermissionDeniedError('HTTP 403', { status: 403 })],
  ])('MLflow refusing our credentials → 502 naming MLflow and the app', (error) => {
    expect(problemAnswerFor(error, context)).toEqual({
      problem: {
        type: 'about:blank',
        title: 'Bad Gateway',
        status: 502,
        detail: `MLflow at https://***@mlflow:5000 refused registry-admin's credentials: ${error.message}`,
      },
    });
  });

  it('a missing resource → 404, a malformed request → 400, anything else MLflow says → 502', () => {
    expect(problemAnswerFor(new AliasNotFoundError('m', 'a', {}), context)?.problem.status).toBe(404);
    expect(problemAnswerFor(new BadRequestError('bad', { status: 400 }), context)?.problem.status).toBe(400);
    expect(problemAnswerFor(new MlflowError('teapot', { status: 418 }), context)?.problem).toMatchObject({
      status: 502,
      detail: 'MLflow at https://***@mlflow:5000 answered unexpectedly: teapot',
    });
  });
});

describe('problemAnswerFor: our own errors', () => {
  class GateError extends ProblemError {
    readonly status = 409;
    override readonly field = 'to';
    override get extensions(): Record<string, unknown> {
      return { gates: ['f1_drop'], status: 'not this one' };
    }
  }

  it('keeps a ProblemError’s status, field and extensions; the standard members win', () => {
    expect(problemAnswerFor(new GateError('refused'), context)?.problem).toEqual({
      gates: ['f1_drop'],
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'refused',
      field: 'to',
    });
  });

  it('turns Nest and Fastify HTTP errors into problems and leaves the unexpected undefined', () => {
    expect(problemAnswerFor(new NotFoundException('nope'), context)?.problem.detail).toBe('nope');
    expect(problemAnswerFor(new HttpException({ message: ['a', 'b'] }, 400), context)?.problem.detail).toBe('a; b');
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(problemAnswerFor(tooLarge, context)?.problem).toMatchObject({ status: 413, title: 'Payload Too Large' });
    expect(problemAnswerFor(new Error('boom'), context)).toBeUndefined();
  });
});

describe('redactCredentials', () => {
  it.each([
    ['MLflow at http://user:pw@host:5000/x failed', 'MLflow at http://***@host:5000/x failed'],
    ['uri https://token@host', 'uri https://***@host'],
    ['sent Authorization: Bearer abc.def-123', 'sent Authorization: Bearer ***'],
    ['GET /x?token=abc&b=1', 'GET /x?token=***&b=1'],
    ['nothing secret at http://host:5000', 'nothing secret at http://host:5000'],
    [
      'missing bearer token: send "Authorization: Bearer <token>"',
      'missing bearer token: send "Authorization: Bearer <token>"',
    ],
  ])('%j → %j', (text, expected) => {
    expect(redactCredentials(text)).toBe(expected);
  });
});

describe('RouteMethods', () => {
  it('lists the methods of every route whose pattern matches a concrete path', () => {
    const routes = new RouteMethods();
    routes.add('/models/:name/aliases/:alias', 'GET');
    routes.add('/models/:name/aliases/:alias', 'PUT');
    routes.add('/models/:name/aliases/:alias', 'DELETE');
    routes.add('/health', 'GET');
    expect(routes.allowed('/models/churn/aliases/production')).toEqual(['DELETE', 'GET', 'PUT']);
    expect(routes.allowed('/health/')).toEqual(['GET']);
    expect(routes.allowed('/models/churn')).toEqual([]);
  });
});
