import { ModelVersionNotReadyError } from '../core/errors';
import { Paginated, type Page } from '../core/pagination';
import { API } from '../core/paths';
import { sleep } from '../core/retry';
import { tagList, type Tag, type TagsInput } from '../core/tags';
import type { MlflowTransport } from '../core/transport';
import { parseModelUri } from '../uris';
import type { RegisteredModels } from './registered-models';

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

/** MLflow's ModelVersion message. */
export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  user_id?: string;
  current_stage?: string;
  source: string;
  run_id?: string;
  run_link?: string;
  status: ModelVersionStatus;
  status_message?: string;
  tags?: Tag[];
  /** Aliases pointing at this version. Always filled in by this client, also in search results. */
  aliases?: string[];
}

export interface CreateModelVersionParams {
  name: string;
  /** Where the model's files are, e.g. the run's `mlflow-artifacts:/.../artifacts/model`. */
  source: string;
  run_id?: string;
  tags?: TagsInput;
  description?: string;
  run_link?: string;
}

export interface SearchModelVersionsParams {
  /** e.g. `name='churn_model'` or `name='churn_model' and tag.gate_passed='true'`. */
  filter?: string;
  order_by?: string[];
  max_results?: number;
}

/** A `models:/` URI resolved to a concrete version and where its files are. */
export interface ResolvedModel {
  name: string;
  version: string;
  /** Set when the URI named an alias. */
  alias?: string;
  model_version: ModelVersion;
  /** From `model-versions/get-download-uri`, e.g. `mlflow-artifacts:/1/<run>/artifacts/model`. */
  download_uri: string;
}

export interface WaitUntilReadyOptions {
  /** Default 300 000. */
  timeoutMs?: number;
  /** Default 1000. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/** `/api/2.0/mlflow/model-versions/*` */
export class ModelVersions {
  constructor(
    private readonly transport: MlflowTransport,
    private readonly registeredModels: RegisteredModels,
  ) {}

  /** Registers a new version. It may start as PENDING_REGISTRATION; see {@link waitUntilReady}. */
  async create(params: CreateModelVersionParams): Promise<ModelVersion> {
    const body = await this.transport.json<{ model_version: ModelVersion }>({
      method: 'POST',
      path: `${API}/model-versions/create`,
      json: { ...params, tags: tagList(params.tags) },
    });
    return body.model_version;
  }

  /** @throws ResourceDoesNotExistError */
  async get(params: { name: string; version: string }): Promise<ModelVersion> {
    const body = await this.transport.json<{ model_version: ModelVersion }>({
      method: 'GET',
      path: `${API}/model-versions/get`,
      query: params,
    });
    return body.model_version;
  }

  /** The version an alias points to. @throws AliasNotFoundError */
  getByAlias(params: { name: string; alias: string }): Promise<ModelVersion> {
    return this.registeredModels.getVersionByAlias(params);
  }

  /** Matching versions, page by page, with `aliases` filled in (MLflow's search leaves them empty). */
  search(params: SearchModelVersionsParams = {}): Paginated<ModelVersion> {
    return new Paginated((page_token) => this.searchPage({ ...params, page_token }));
  }

  /** One page of a version search, with `aliases` filled in from each model's `registered-models/get`. */
  async searchPage(params: SearchModelVersionsParams & { page_token?: string }): Promise<Page<ModelVersion>> {
    const body = await this.transport.json<{ model_versions?: ModelVersion[]; next_page_token?: string }>({
      method: 'GET',
      path: `${API}/model-versions/search`,
      query: params,
    });
    const versions = body.model_versions ?? [];
    const aliasesByModel = new Map<string, Map<string, string[]>>();
    for (const name of new Set(versions.map((v) => v.name))) {
      const byVersion = new Map<string, string[]>();
      for (const { alias, version } of (await this.registeredModels.get(name)).aliases ?? []) {
        byVersion.set(version, [...(byVersion.get(version) ?? []), alias]);
      }
      aliasesByModel.set(name, byVersion);
    }
    return {
      items: versions.map((v) => ({ ...v, aliases: aliasesByModel.get(v.name)?.get(v.version) ?? [] })),
      next_page_token: body.next_page_token,
    };
  }

  /** Where the version's files are (usually its `source`). */
  async getDownloadUri(params: { name: string; version: string }): Promise<string> {
    const body = await this.transport.json<{ artifact_uri: string }>({
      method: 'GET',
      path: `${API}/model-versions/get-download-uri`,
      query: params,
    });
    return body.artifact_uri;
  }

  async setTag(params: { name: string; version: string; key: string; value: string }): Promise<void> {
    await this.transport.json({
      method: 'POST',
      path: `${API}/model-versions/set-tag`,
      json: params,
      idempotent: true,
    });
  }

  async deleteTag(params: { name: string; version: string; key: string }): Promise<void> {
    await this.transport.json({
      method: 'DELETE',
      path: `${API}/model-versions/delete-tag`,
      json: params,
      idempotent: true,
    });
  }

  async delete(params: { name: string; version: string }): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: `${API}/model-versions/delete`, json: params });
  }

  /**
   * Polls until the version is READY.
   * @throws ModelVersionNotReadyError when it ends in FAILED_REGISTRATION or is still pending after `timeoutMs`
   */
  async waitUntilReady(
    params: { name: string; version: string },
    options: WaitUntilReadyOptions = {},
  ): Promise<ModelVersion> {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    for (;;) {
      const version = await this.get(params);
      if (version.status === 'READY') return version;
      const where = `Model version ${params.name}/${params.version}`;
      if (version.status === 'FAILED_REGISTRATION') {
        throw new ModelVersionNotReadyError(
          `${where} failed to register: ${version.status_message ?? 'no reason given'}`,
        );
      }
      if (Date.now() >= deadline)
        throw new ModelVersionNotReadyError(
          `${where} is still ${version.status} after ${options.timeoutMs ?? 300_000} ms`,
        );
      await sleep(options.pollIntervalMs ?? 1000, options.signal);
    }
  }

  /**
   * Resolves `models:/NAME@ALIAS` or `models:/NAME/VERSION` to the version and its download URI.
   * @throws MlflowArgumentError for other URIs; AliasNotFoundError or ResourceDoesNotExistError when nothing matches
   */
  async resolveModelUri(uri: string): Promise<ResolvedModel> {
    const ref = parseModelUri(uri);
    const modelVersion =
      ref.alias !== undefined
        ? await this.getByAlias({ name: ref.name, alias: ref.alias })
        : await this.get({ name: ref.name, version: ref.version });
    const download_uri = await this.getDownloadUri({ name: modelVersion.name, version: modelVersion.version });
    return {
      name: modelVersion.name,
      version: modelVersion.version,
      alias: ref.alias,
      model_version: modelVersion,
      download_uri,
    };
  }
}
