import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { validateRegistryAdminConfig } from './config/registry-admin.config';
import { HealthModule } from './health/health.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, cache: true, validate: validateRegistryAdminConfig }),
    HealthModule,
  ],
})
export class AppModule {}
