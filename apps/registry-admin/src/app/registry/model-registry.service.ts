import { Injectable, Logger } from '@nestjs/common';
import { parse as parseYaml } from 'yaml';

import {
  MlflowArgumentError,
  MlflowClient,
  readTrafficTags,
  ResourceDoesNotExistError,
  tagsToRecord,
  TRAFFIC_TAGS,
  type ModelVersion,
  type RegisteredModel,
} from '@churn/mlflow-client';

import {
  AliasNotSetError,
  ConflictError,
  InvalidFieldError,
  ModelNotFoundError,
  VersionNotFoundError,
  type GateResult,
} from '../errors/registry-errors';
import { AliasAuditStore, type ControlAuditOutcome } from './alias-audit.store';
import { evaluateGates, type SignatureColumn, type VersionFacts } from './promotion-gates';

/** A version as `GET /models/:name/versions` shows it. */
export interface VersionView {
  version: string;
  status: string;
  created_at: string | null;
  source: string;
  run_id: string | null;
  aliases: string[];
  tags: Record<string, string>;
  /** The source run's metrics (latest values); empty for a version without a run. */
  metrics: Record<string, number>;
  description: string | null;
}

export interface ModelSummary {
  name: string;
  description: string | null;
  aliases: Record<string, string>;
  latest_version: string | null;
  tags: Record<string, string>;
}

/** The champion/challenger settings an admin writes (wiring table: registered-model tags). */
export interface TrafficUpdate {
  challenger_share: number;
  shadow: boolean;
  salt: string | null;
}

/** Champion/challenger routing as every inference-api replica reads it from the tags. */
export interface TrafficSettings extends TrafficUpdate {
  /** Tags the replicas cannot read (written by hand in MLflow, say), each with why; they read as absent. */
  problems: string[];
}

/** Reads of the registry and the changes that are not alias moves (traffic, version deletion). */
@Injectable()
export class ModelRegistryService {
  private readonly logger = new Logger(ModelRegistryService.name);

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly audit: AliasAuditStore,
  ) {}

  /** @throws {ModelNotFoundError} */
  async requireModel(name: string): Promise<RegisteredModel> {
    try {
      return await this.mlflow.registeredModels.get(name);
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError) throw new ModelNotFoundError(name);
      throw error;
    }
  }

  /**
   * The registered model as MLflow returns it, or null when MLflow says no model has that name. A
   * bare 404 without MLflow's error code (a proxy's, say) is not taken for that: it throws.
   */
  async findModel(name: string): Promise<RegisteredModel | null> {
    try {
      return await this.mlflow.registeredModels.get(name);
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw error;
    }
  }

  /** The version an alias points to in MLflow right now, or null. */
  static holderOf(model: RegisteredModel, alias: string): string | null {
    return model.aliases?.find((entry) => entry.alias === alias)?.version ?? null;
  }

  async listModels(): Promise<ModelSummary[]> {
    const models = await this.mlflow.registeredModels.search({ max_results: 1000 }).toArray();
    return models.map((model) => ({
      name: model.name,
      description: model.description || null,
      aliases: Object.fromEntries((model.aliases ?? []).map(({ alias, version }) => [alias, version])),
      latest_version:
        model.latest_versions
          ?.map((v) => v.version)
          .sort(byNumber)
          .at(-1) ?? null,
      tags: tagsToRecord(model.tags),
    }));
  }

  /** Every version, newest first, with tags, source run, its metrics and the aliases on it. */
  async listVersions(name: string): Promise<VersionView[]> {
    await this.requireModel(name);
    const versions = await this.versions(name);
    const views: VersionView[] = [];
    for (const version of versions.reverse()) {
      views.push({
        version: version.version,
        status: version.status,
        created_at:
          version.creation_timestamp === undefined ? null : new Date(Number(version.creation_timestamp)).toISOString(),
        source: version.source,
        run_id: version.run_id || null,
        aliases: version.aliases ?? [],
        tags: tagsToRecord(version.tags),
        metrics: await this.runMetrics(version.run_id),
        description: version.description || null,
      });
    }
    return views;
  }

  /** All versions of a model, oldest first. */
  async versions(name: string): Promise<ModelVersion[]> {
    const versions = await this.mlflow.modelVersions
      .search({ filter: `name='${name.replaceAll("'", "\\'")}'`, max_results: 1000 })
      .toArray();
    return versions.sort((a, b) => byNumber(a.version, b.version));
  }

  /** @throws {VersionNotFoundError} listing the valid versions, `wasDeleted` saying whether the audit knew it */
  requireVersion(name: string, versions: readonly ModelVersion[], version: string, wasDeleted = false): ModelVersion {
    const found = versions.find((v) => v.version === version);
    if (found === undefined)
      throw new VersionNotFoundError(
        name,
        version,
        versions.map((v) => v.version),
        wasDeleted,
      );
    return found;
  }

  async getAlias(name: string, alias: string): Promise<{ name: string; alias: string; version: VersionView }> {
    const model = await this.requireModel(name);
    const holder = ModelRegistryService.holderOf(model, alias);
    if (holder === null) throw new AliasNotSetError(name, alias, 404);
    const view = (await this.listVersions(name)).find((v) => v.version === holder);
    if (view === undefined)
      throw new AliasNotSetError(name, alias, 404, ` (it points at v${holder}, which no longer exists)`);
    return { name, alias, version: view };
  }

  /** What the gates read of a version: training gate, F1, whether it has metrics, signature inputs. */
  async versionFacts(version: ModelVersion): Promise<VersionFacts> {
    const tags = tagsToRecord(version.tags);
    const runMetrics = await this.runMetrics(version.run_id);
    const f1Text = tags['f1'];
    const f1 = f1Text !== undefined && Number.isFinite(Number(f1Text)) ? Number(f1Text) : runMetrics['f1'];
    const hasMetrics = f1 !== undefined || tags['roc_auc'] !== undefined || Object.keys(runMetrics).length > 0;
    return {
      version: version.version,
      gatePassed: tags['gate_passed'],
      f1,
      hasMetrics,
      inputs: await this.signatureInputs(version),
    };
  }

  /** The promotion gates of `candidate` against `holder` (none: nothing to fall behind). */
  async gates(candidate: ModelVersion, holder: ModelVersion | undefined, maxF1Drop: number): Promise<GateResult[]> {
    return evaluateGates(
      await this.versionFacts(candidate),
      holder === undefined ? null : await this.versionFacts(holder),
      maxF1Drop,
    );
  }

  /**
   * Deletes a version, refused while an alias points to it (serving would lose its model).
   * @throws {ConflictError} naming the aliases; {@link VersionNotFoundError}
   */
  async deleteVersion(
    name: string,
    version: string,
    actor: string,
    reason: string | null = null,
  ): Promise<{ name: string; version: string; deleted: true } & ControlAuditOutcome> {
    const model = await this.requireModel(name);
    const deleted = this.requireVersion(name, await this.versions(name), version);
    const aliases = (model.aliases ?? []).filter((entry) => entry.version === version).map((entry) => entry.alias);
    if (aliases.length > 0) {
      throw new ConflictError(
        `version ${version} of '${name}' is held by alias ${aliases.join(', ')}; move or delete the alias first`,
      );
    }
    await this.mlflow.modelVersions.delete({ name, version });
    this.logger.log(`${actor} deleted ${name} v${version}`);
    const audit = await this.audit.recordControlDone(
      { model: name, action: 'delete_version', actor, reason, forced: false, gates: null, version },
      { source: deleted.source, run_id: deleted.run_id || null, tags: tagsToRecord(deleted.tags) },
    );
    return { name, version, deleted: true, ...audit };
  }

  async getTraffic(name: string): Promise<TrafficSettings> {
    return ModelRegistryService.trafficOf(await this.requireModel(name));
  }

  /** The traffic settings a registered model (as MLflow returned it) carries in its tags. */
  static trafficOf(model: RegisteredModel): TrafficSettings {
    const tags = readTrafficTags(model.tags);
    return {
      challenger_share: tags.challengerShare ?? 0,
      shadow: tags.shadow,
      salt: tags.salt,
      problems: tags.problems,
    };
  }

  /** Writes the given settings as registered-model tags; those left out keep their value. */
  async setTraffic(name: string, settings: Partial<TrafficUpdate>, actor: string): Promise<TrafficSettings> {
    await this.requireModel(name);
    if (settings.challenger_share === undefined && settings.shadow === undefined && settings.salt === undefined) {
      throw new InvalidFieldError('challenger_share', 'or shadow or salt must be given');
    }
    if (settings.challenger_share !== undefined) {
      await this.mlflow.registeredModels.setTag({
        name,
        key: TRAFFIC_TAGS.challengerShare,
        value: String(settings.challenger_share),
      });
    }
    if (settings.shadow !== undefined)
      await this.mlflow.registeredModels.setTag({ name, key: TRAFFIC_TAGS.shadow, value: String(settings.shadow) });
    if (settings.salt !== undefined && settings.salt !== null)
      await this.mlflow.registeredModels.setTag({ name, key: TRAFFIC_TAGS.salt, value: settings.salt });
    const stored = await this.getTraffic(name);
    this.logger.log(`${actor} set traffic of ${name}: ${JSON.stringify(stored)}`);
    return stored;
  }

  private async runMetrics(runId: string | undefined): Promise<Record<string, number>> {
    if (!runId) return {};
    try {
      const run = await this.mlflow.runs.get(runId);
      return Object.fromEntries((run.data.metrics ?? []).map((metric) => [metric.key, metric.value]));
    } catch (error) {
      if (error instanceof ResourceDoesNotExistError) return {};
      throw error;
    }
  }

  /** Input columns of the version's MLmodel signature, read through the artifact proxy; null without one. */
  private async signatureInputs(version: ModelVersion): Promise<SignatureColumn[] | null> {
    let text: string;
    try {
      const root = await this.mlflow.modelVersions.getDownloadUri({ name: version.name, version: version.version });
      text = (await this.mlflow.artifacts.readBytes(`${root.replace(/\/+$/, '')}/MLmodel`)).toString('utf8');
    } catch (error) {
      // Not found, or stored where the artifact proxy cannot reach (registered elsewhere): no signature known.
      if (error instanceof ResourceDoesNotExistError || error instanceof MlflowArgumentError) return null;
      throw error;
    }
    const mlmodel = parseYaml(text) as { signature?: { inputs?: string | null } } | null;
    const inputs = mlmodel?.signature?.inputs;
    if (typeof inputs !== 'string') return null;
    return (JSON.parse(inputs) as Array<Partial<SignatureColumn>>).map((column) => ({
      name: String(column.name),
      type: String(column.type),
      required: column.required !== false,
    }));
  }
}

export function byNumber(a: string, b: string): number {
  return Number(a) - Number(b);
}
