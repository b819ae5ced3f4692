/**
 * `main.js train …`, what `nx run training-worker:train` runs: one training run in the foreground.
 * Progress goes to stderr as stage lines; the result goes to stdout in the seed's words:
 *
 *   [OK] Model saved : mlflow-artifacts:/1/<run>/artifacts/model
 *   [MLflow] Run <run id> | Model Registry : churn_model v3
 *
 * Exit codes (the kit's EXIT): 0 registered (or registration off), 3 the quality gate refused the
 * model, 1 anything else, with one line naming the flag, row or column at fault (never a stack).
 */
import { MlflowClient, mlflowClientOptionsFromEnv } from '@churn/mlflow-client';
import { EXIT, processOutput, type CommandOutput } from '@churn/service-kit';

import { validateTrainingWorkerConfig } from '../config/training-worker.config';
import { operatorFiles } from '../training/data-files';
import { cliUser, gitCommit } from '../training/provenance';
import { resolveDataPath, resolveSchema, type TrainingRequest } from '../training/training-request';
import { TrainingRunFailedError, TrainingRunner } from '../training/training-run';
import { parseTrainFlags } from './train-flags';

/**
 * Runs the `train` subcommand and returns its exit code; never throws.
 * Relative `--data` and `--schema` paths are resolved against `cwd` (the workspace root under Nx).
 */
export async function runTrainCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  output: CommandOutput = processOutput,
): Promise<number> {
  let runId: string | undefined;
  try {
    const flags = parseTrainFlags(args);
    const config = validateTrainingWorkerConfig(env);
    // The operator's own machine: any file they can read, errors quoting it (DATA_DIR binds REST jobs).
    const files = operatorFiles(cwd);
    const { schema, source: schemaSource } = await resolveSchema(flags.schema, files);
    const request: TrainingRequest = {
      dataPath: flags.data === undefined ? undefined : await resolveDataPath(flags.data, files),
      syntheticRows: config.SYNTHETIC_ROWS,
      schema,
      schemaSource,
      seed: flags.seed,
      gateF1: flags.gateF1,
      experiment: flags.experiment ?? config.EXPERIMENT_NAME,
      modelName: flags.modelName ?? config.MODEL_NAME,
      register: flags.register,
      user: cliUser(env),
      sourceName: 'training-worker train',
      quotesContent: true,
    };
    const mlflow = new MlflowClient(mlflowClientOptionsFromEnv(env));
    const runner = new TrainingRunner(mlflow, { gitCommit: await gitCommit(env, cwd) });

    output.stderr(
      `[train] data: ${request.dataPath ?? `synthetic (${request.syntheticRows} rows, seed ${request.seed})`}`,
    );
    const run = await runner.createRun(request);
    runId = run.runId;
    output.stderr(
      `[train] MLflow run ${run.runId} (${run.runName}) in experiment "${request.experiment}" at ${mlflow.trackingUri}`,
    );
    const outcome = await runner.execute(run, request, (_stage, message, detail) => {
      if (!detail) output.stderr(`[train] ${message}`);
    });

    const m = outcome.metrics;
    output.stdout(`[OK] Model saved : ${outcome.modelArtifactUri}`);
    output.stdout(
      `[METRICS] F1 ${m.f1.toFixed(4)} | ROC AUC ${m.rocAuc.toFixed(4)} | accuracy ${m.accuracy.toFixed(4)}`,
    );
    if (!outcome.gate.passed) {
      output.stdout(`[GATE] refused: ${outcome.gate.reason}`);
    }
    const registry =
      outcome.registeredVersion !== undefined
        ? `${request.modelName} v${outcome.registeredVersion}`
        : !request.register
          ? 'not registered (--register=false)'
          : 'not registered (quality gate refused)';
    output.stdout(`[MLflow] Run ${run.runId} | Model Registry : ${registry}`);
    return outcome.gate.passed || !request.register ? EXIT.ok : EXIT.gateRefused;
  } catch (error) {
    const cause = error instanceof TrainingRunFailedError ? error.cause : error;
    const message = cause instanceof Error ? cause.message : String(cause);
    output.stderr(`[ERROR] ${message}${runId === undefined ? '' : ` (MLflow run ${runId} marked FAILED)`}`);
    return EXIT.failed;
  }
}
