import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { InferenceApiConfig } from '../config/inference-api.config';

/** `Authorization: Bearer <INFERENCE_ADMIN_TOKEN>`, compared in constant time; 401 otherwise. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(config: ConfigService<InferenceApiConfig, true>) {
    const token = config.get('INFERENCE_ADMIN_TOKEN', { infer: true });
    this.expected = token ? digest(token) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) throw new UnauthorizedException('no INFERENCE_ADMIN_TOKEN is configured, so admin endpoints are closed');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('send Authorization: Bearer <INFERENCE_ADMIN_TOKEN>');
    // Hashing first makes both sides the same length, so the comparison leaks nothing about the token's length.
    if (!timingSafeEqual(digest(match[1].trim()), this.expected)) throw new UnauthorizedException('the bearer token is not INFERENCE_ADMIN_TOKEN');
    return true;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
