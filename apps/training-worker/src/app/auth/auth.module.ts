import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { TrainingWorkerConfig } from '../config/training-worker.config';
import { ApiTokens } from './api-tokens';
import { BearerAuthGuard } from './bearer-auth.guard';

/** Parses API_TOKENS once and guards every endpoint that declares the roles it needs. */
@Global()
@Module({
  providers: [
    {
      provide: ApiTokens,
      useFactory: (config: TrainingWorkerConfig) => ApiTokens.parse(config.API_TOKENS),
      inject: [TrainingWorkerConfig],
    },
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [ApiTokens],
})
export class AuthModule {}
