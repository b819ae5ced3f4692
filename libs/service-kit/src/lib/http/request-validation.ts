/** The global pipes' failures (DTOs, path parameters) as a 400 problem naming the field at fault. */
import { ValidationPipe, type ArgumentMetadata, type PipeTransform, type ValidationError } from '@nestjs/common';

import { checkPathParameter, type ContractOptions } from './openapi-contract';
import { ProblemError } from './problem';

export class RequestValidationError extends ProblemError {
  override readonly name = 'RequestValidationError';
  readonly status = 400;

  constructor(
    override readonly field: string,
    readonly problems: ReadonlyArray<{ field: string; detail: string }>,
  ) {
    super(problems.map((problem) => problem.detail).join('; '));
  }

  override get extensions(): Record<string, unknown> {
    return { errors: this.problems };
  }
}

/**
 * A DTO-typed body must be a JSON object: `null` would otherwise pass as "no body" (the DTO's
 * validation never runs on it), which the document does not allow.
 */
class DtoValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value === null && metadata.metatype !== undefined && metadata.metatype !== Object)
      throw new RequestValidationError('body', [{ field: 'body', detail: 'the body must be a JSON object, not null' }]);
    return super.transform(value, metadata);
  }
}

/** Path parameters checked against the app's rules (the ones its OpenAPI document states). */
export class PathParameterPipe implements PipeTransform {
  constructor(private readonly rules: ContractOptions['pathParameters']) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'param' || metadata.data === undefined || typeof value !== 'string') return value;
    const problem = checkPathParameter(metadata.data, value, this.rules);
    if (problem !== undefined)
      throw new RequestValidationError(metadata.data, [{ field: metadata.data, detail: problem }]);
    return value;
  }
}

/** `whitelist`, `forbidNonWhitelisted` and `transform` (STYLE.md), failing with {@link RequestValidationError}. */
export function requestValidationPipe(): ValidationPipe {
  return new DtoValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const problems = flatten(errors, '');
      return new RequestValidationError(problems[0]?.field ?? 'body', problems);
    },
  });
}

function flatten(errors: readonly ValidationError[], prefix: string): Array<{ field: string; detail: string }> {
  return errors.flatMap((error) => {
    const field = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((detail) => ({ field, detail }));
    return [...own, ...flatten(error.children ?? [], `${field}.`)];
  });
}
