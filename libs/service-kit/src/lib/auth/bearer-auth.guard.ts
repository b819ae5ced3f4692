/**
 * The bearer-token guard and its decorators, one set of names for every app: `@RequireRoles(...)`
 * on a handler or controller, `@CallerName()` for the actor recorded in MLflow.
 */
import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';

import { ApiTokens, type ApiCaller, type Role } from './api-tokens';

const ROLES_KEY = Symbol('service-kit:required-roles');

/** The OpenAPI extension that lists the roles an operation accepts (what the authorization matrix test reads). */
export const REQUIRED_ROLES_EXTENSION = 'x-required-roles';

/**
 * The roles a handler accepts: a token holding any one of them may call it. Handlers without it
 * stay open (health, Swagger). The OpenAPI document lists the roles under `x-required-roles`.
 */
export const RequireRoles = (...roles: [Role, ...Role[]]): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension(REQUIRED_ROLES_EXTENSION, roles));

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  caller?: ApiCaller;
}

/**
 * Checks `Authorization: Bearer <token>` on handlers marked with {@link RequireRoles}: 401 without
 * a token, with an unknown one, or when API_TOKENS is empty; 403 when the token holds none of the
 * accepted roles. Messages name the caller and the roles, never a token.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokens,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const accepted = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (accepted === undefined) return true;
    if (this.tokens.isEmpty)
      throw new UnauthorizedException(
        'no API tokens are configured (API_TOKENS is empty); every protected endpoint is closed',
      );
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match === null) throw new UnauthorizedException('missing bearer token: send "Authorization: Bearer <token>"');
    const caller = this.tokens.authenticate(match[1]);
    if (caller === undefined) throw new UnauthorizedException('unknown bearer token');
    if (!accepted.some((role) => caller.roles.includes(role))) {
      throw new ForbiddenException(
        `${caller.name} lacks the ${accepted.join(' or ')} role (has ${caller.roles.join(', ')})`,
      );
    }
    request.caller = caller;
    return true;
  }
}

/** The name of the authenticated caller: the actor of the records it causes. */
export const CallerName = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (caller === undefined) throw new UnauthorizedException('this endpoint needs a bearer token');
  return caller.name;
});
