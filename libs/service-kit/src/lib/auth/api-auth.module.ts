import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { ServiceSettings } from '../config/service-settings';
import { ApiTokens } from './api-tokens';
import { BearerAuthGuard } from './bearer-auth.guard';

/** Parses API_TOKENS once and guards every handler that declares the roles it needs. */
@Module({
  providers: [
    {
      provide: ApiTokens,
      inject: [ServiceSettings],
      useFactory: (settings: ServiceSettings) => ApiTokens.parse(settings.API_TOKENS),
    },
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
})
export class ApiAuthModule {}
