import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { validateInferenceApiConfig } from './config/inference-api.config';
import { HealthModule } from './health/health.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, cache: true, validate: validateInferenceApiConfig }),
    HealthModule,
  ],
})
export class AppModule {}
