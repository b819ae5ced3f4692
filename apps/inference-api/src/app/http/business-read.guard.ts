import { applyDecorators, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

import { ApiTokens, BearerAuthGuard, RequireRoles } from '@churn/service-kit';

/**
 * The business reads (`/model`, `/drift`, `/ab/report`: metrics, tags, sources, the traffic salt)
 * need the `viewer` role of API_TOKENS, checked by the kit's guard with every app's rules and
 * messages; with no API_TOKENS they stay open, for development on one machine.
 */
@Injectable()
export class BusinessReadGuard implements CanActivate {
  private readonly bearer: BearerAuthGuard;

  constructor(
    reflector: Reflector,
    private readonly tokens: ApiTokens,
  ) {
    this.bearer = new BearerAuthGuard(reflector, tokens);
  }

  canActivate(context: ExecutionContext): boolean {
    return this.tokens.isEmpty || this.bearer.canActivate(context);
  }
}

/** Marks a handler as a business read: role `viewer` once API_TOKENS is set, stated in the OpenAPI document. */
export const BusinessRead = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    RequireRoles('viewer'),
    UseGuards(BusinessReadGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'API_TOKENS is set and no known bearer token was sent.' }),
    ApiForbiddenResponse({ description: 'The token lacks the viewer role.' }),
  );
