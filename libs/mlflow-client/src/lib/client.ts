import { MlflowTransport, type MlflowClientOptions } from './core/transport';
import { Artifacts } from './resources/artifacts';
import { Experiments } from './resources/experiments';
import { ModelVersions } from './resources/model-versions';
import { RegisteredModels } from './resources/registered-models';
import { Runs } from './resources/runs';
import { Webhooks } from './resources/webhooks';

/**
 * A typed client for an MLflow 3.x tracking server's REST API.
 *
 * ```ts
 * const mlflow = new MlflowClient({ trackingUri: 'http://127.0.0.1:5000' });
 * const experiment = await mlflow.experiments.getOrCreate('churn');
 * for await (const version of mlflow.modelVersions.search({ filter: "name='churn_model'" })) { ... }
 * ```
 *
 * Credentials live in a private field: `String(client)`, `JSON.stringify(client)` and
 * `util.inspect(client)` show the server and the kind of auth only.
 */
export class MlflowClient {
  readonly experiments: Experiments;
  readonly runs: Runs;
  readonly artifacts: Artifacts;
  readonly registeredModels: RegisteredModels;
  readonly modelVersions: ModelVersions;
  readonly webhooks: Webhooks;
  readonly #transport: MlflowTransport;

  constructor(options: MlflowClientOptions) {
    this.#transport = new MlflowTransport(options);
    this.experiments = new Experiments(this.#transport);
    this.runs = new Runs(this.#transport);
    this.artifacts = new Artifacts(this.#transport, this.runs);
    this.registeredModels = new RegisteredModels(this.#transport);
    this.modelVersions = new ModelVersions(this.#transport, this.registeredModels);
    this.webhooks = new Webhooks(this.#transport);
  }

  /** The server's base URL, without any credentials. */
  get trackingUri(): string {
    return this.#transport.baseUrl;
  }

  /** The low-level transport, for endpoints this client does not wrap yet. */
  get transport(): MlflowTransport {
    return this.#transport;
  }

  toString(): string {
    return `MlflowClient(${this.#transport.baseUrl}, auth: ${this.#transport.authType})`;
  }

  toJSON(): { trackingUri: string; auth: string } {
    return { trackingUri: this.#transport.baseUrl, auth: this.#transport.authType };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
