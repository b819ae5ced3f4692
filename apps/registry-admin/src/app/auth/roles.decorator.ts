import { SetMetadata } from '@nestjs/common';

import type { Role } from './api-tokens';

export const REQUIRED_ROLE = Symbol('REQUIRED_ROLE');

/**
 * The role a handler needs. Roles do not imply each other (a deployer token that should also read
 * carries `deployer+viewer`), as in training-worker, so one token format means the same everywhere.
 */
export const RequireRole = (role: Role): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLE, role);
