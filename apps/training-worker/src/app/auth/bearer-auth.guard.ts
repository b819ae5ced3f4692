import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { ApiTokens, type Actor, type Role } from './api-tokens';

const ROLES_KEY = 'training-worker:roles';

/** The roles an endpoint accepts: a token holding any one of them may call it. */
export const RequireRoles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  actor?: Actor;
}

/**
 * Bearer-token check for endpoints marked with {@link RequireRoles}: 401 without a token, with an
 * unknown one, or when API_TOKENS is empty; 403 when the token lacks every accepted role. The
 * token is never logged or echoed.
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
        'no API tokens are configured (set API_TOKENS); this endpoint refuses every request',
      );
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match === null) throw new UnauthorizedException('missing bearer token: send "Authorization: Bearer <token>"');
    const actor = this.tokens.authenticate(match[1]);
    if (actor === undefined) throw new UnauthorizedException('unknown bearer token');
    if (!accepted.some((role) => actor.roles.includes(role))) {
      throw new ForbiddenException(
        `"${actor.name}" lacks the role this endpoint needs (one of: ${accepted.join(', ')})`,
      );
    }
    request.actor = actor;
    return true;
  }
}

/** The authenticated caller of an endpoint guarded by {@link BearerAuthGuard}. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (actor === undefined) throw new UnauthorizedException('this endpoint needs a bearer token');
  return actor;
});
