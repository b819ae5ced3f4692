import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';

import type { AuthenticatedRequest } from './bearer-auth.guard';

/** The name of the authenticated caller: the actor of the audit records it causes. */
export const CallerName = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new UnauthorizedException('no authenticated caller');
  return caller.name;
});
