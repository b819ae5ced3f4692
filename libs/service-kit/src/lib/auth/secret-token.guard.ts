import { createHash, timingSafeEqual } from 'node:crypto';

import {
  Injectable,
  mixin,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';

/**
 * A guard class for an operation with a secret of its own (an app's reload token, a feedback
 * token) rather than an API_TOKENS role: `Authorization: Bearer <token>` where the token is the
 * named setting (a `@Secret`, so the kit's rule holds: 16+ characters, distinct), compared in
 * constant time; 401 otherwise, and 401 to everyone when the setting is empty (a closed door
 * rather than an open one). Messages name the setting, never a token.
 */
export function SecretTokenGuard(setting: string): Type<CanActivate> {
  @Injectable()
  class TokenGuard implements CanActivate {
    private readonly expected: Buffer | undefined;

    constructor(config: ConfigService<Record<string, unknown>, true>) {
      const token = config.get<string>(setting);
      this.expected = token ? digest(token) : undefined;
    }

    canActivate(context: ExecutionContext): boolean {
      if (!this.expected) throw new UnauthorizedException(`no ${setting} is configured, so this endpoint is closed`);
      const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
      const match = /^Bearer\s+(.+)$/i.exec(header);
      if (!match) throw new UnauthorizedException(`send Authorization: Bearer <${setting}>`);
      // Hashing first makes both sides the same length, so the comparison leaks nothing about the token's length.
      if (!timingSafeEqual(digest(match[1].trim()), this.expected))
        throw new UnauthorizedException(`the bearer token is not ${setting}`);
      return true;
    }
  }
  return mixin(TokenGuard);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
