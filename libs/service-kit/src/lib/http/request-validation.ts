/** The global ValidationPipe's failures as a 400 problem naming the field at fault. */
import { ValidationPipe, type ValidationError } from '@nestjs/common';

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

/** `whitelist`, `forbidNonWhitelisted` and `transform` (STYLE.md), failing with {@link RequestValidationError}. */
export function requestValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
