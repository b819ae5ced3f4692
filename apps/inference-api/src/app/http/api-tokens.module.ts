import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import { ApiTokens } from '@churn/service-kit';

import type { InferenceApiConfig } from '../config/inference-api.config';

/** API_TOKENS, parsed once, for the business reads' guard (business-read.guard.ts). */
@Module({
  providers: [
    {
      provide: ApiTokens,
      inject: [ConfigService],
      useFactory: (config: ConfigService<InferenceApiConfig, true>) =>
        ApiTokens.parse(config.get('API_TOKENS', { infer: true })),
    },
  ],
  exports: [ApiTokens],
})
export class ApiTokensModule {}
