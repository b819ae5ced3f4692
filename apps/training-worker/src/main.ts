import 'reflect-metadata';

import { runMain, serve } from '@churn/service-kit';

import { AppModule, TRAINING_WORKER } from './app/app.module';
import { runTrainCommand } from './app/cli/train-command';
import { validateTrainingWorkerConfig } from './app/config/training-worker.config';

/** No subcommand: the HTTP server. `train …`: one training run in the foreground (nx run training-worker:train). */
runMain({
  name: TRAINING_WORKER.name,
  commands: { train: (args) => runTrainCommand(args) },
  serve: () => {
    // Validated here, before Nest boots, so a bad setting ends the process with one line naming the
    // variable instead of Nest's stack trace from inside module initialisation.
    const config = validateTrainingWorkerConfig(process.env);
    return serve(AppModule.forConfig(config), config, TRAINING_WORKER);
  },
});
