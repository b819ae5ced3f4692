import 'reflect-metadata';

import { runMain, serve } from '@churn/service-kit';

import { AppModule, REGISTRY_ADMIN } from './app/app.module';
import { runCli } from './app/cli/registry-cli';
import { validateRegistryAdminConfig } from './app/config/registry-admin.config';
import { runRolloutCli } from './app/rollouts/rollout-cli';

runMain({
  name: REGISTRY_ADMIN.name,
  commands: {
    promote: (args) => runCli('promote', args),
    rollback: (args) => runCli('rollback', args),
    rollout: (args) => runRolloutCli(args),
  },
  // Validated here first as well, so a bad setting ends the process with one line naming the
  // variable instead of Nest's stack trace from inside module initialisation.
  serve: () => serve(AppModule.register(process.env), validateRegistryAdminConfig(process.env), REGISTRY_ADMIN),
});
