import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { validateTrainingWorkerConfig } from './config/training-worker.config';
import { HealthModule } from './health/health.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, cache: true, validate: validateTrainingWorkerConfig }),
    HealthModule,
  ],
})
export class AppModule {}
