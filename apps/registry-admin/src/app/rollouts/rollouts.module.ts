import { Module } from '@nestjs/common';

import { RegistryServicesModule } from '../registry/registry.module';
import { RolloutsController } from './rollouts.controller';
import { RolloutsService } from './rollouts.service';

/** Staged rollouts, driven by the server (only the HTTP app imports this module). */
@Module({ imports: [RegistryServicesModule], controllers: [RolloutsController], providers: [RolloutsService] })
export class RolloutsModule {}
