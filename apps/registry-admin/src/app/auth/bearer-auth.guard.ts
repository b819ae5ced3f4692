import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';

import { RegistryAdminConfig } from '../config/registry-admin.config';
import { ApiTokens, type ApiCaller, type Role } from './api-tokens';
import { REQUIRED_ROLE } from './roles.decorator';

/** The authenticated caller, attached to the request by {@link BearerAuthGuard}. */
export type AuthenticatedRequest = FastifyRequest & { caller?: ApiCaller };

/**
 * Checks `Authorization: Bearer <token>` on handlers marked with `@RequireRole`; others (health,
 * Swagger) stay open. 401 for a missing or unknown token, 403 for a known token without the role.
 * Messages name the caller and the role, never a token.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly tokens: ApiTokens;

  constructor(
    private readonly reflector: Reflector,
    @Inject(RegistryAdminConfig) config: RegistryAdminConfig,
  ) {
    this.tokens = ApiTokens.parse(config.API_TOKENS);
  }

  canActivate(context: ExecutionContext): boolean {
    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (role === undefined) return true;
    if (this.tokens.isEmpty)
      throw new UnauthorizedException(
        'no API tokens are configured (API_TOKENS is empty); every admin endpoint is closed',
      );
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new UnauthorizedException('missing bearer token: send "Authorization: Bearer <token>"');
    const caller = this.tokens.callerFor(match[1]);
    if (!caller) throw new UnauthorizedException('unknown bearer token');
    if (!caller.roles.has(role)) {
      throw new ForbiddenException(`${caller.name} lacks the ${role} role (has ${[...caller.roles].join(', ')})`);
    }
    request.caller = caller;
    return true;
  }
}
