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

import type { InferenceApiConfig } from '../config/inference-api.config';

/** The settings that hold a bearer token of this app. */
export type TokenSetting = 'INFERENCE_ADMIN_TOKEN' | 'FEEDBACK_TOKEN';

/**
 * A guard class for `Authorization: Bearer <token>` where the token is the named setting, compared
 * in constant time; 401 otherwise, and 401 to everyone when the setting is empty (a closed door
 * rather than an open one).
 */
export function BearerTokenGuard(setting: TokenSetting): Type<CanActivate> {
  @Injectable()
  class TokenGuard implements CanActivate {
    private readonly expected: Buffer | undefined;

    constructor(config: ConfigService<InferenceApiConfig, true>) {
      const token = config.get(setting, { infer: true });
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
