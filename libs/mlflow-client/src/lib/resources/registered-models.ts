import { AliasNotFoundError, InvalidParameterValueError } from '../core/errors';
import { Paginated, type Page } from '../core/pagination';
import { API } from '../core/paths';
import { tagList, type Tag, type TagsInput } from '../core/tags';
import type { MlflowTransport } from '../core/transport';
import type { ModelVersion } from './model-versions';

/** An alias and the version it points to. */
export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

/** MLflow's RegisteredModel message. */
export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: Tag[];
  aliases?: RegisteredModelAlias[];
}

export interface SearchRegisteredModelsParams {
  filter?: string;
  order_by?: string[];
  max_results?: number;
}

/** `/api/2.0/mlflow/registered-models/*`, including aliases (`registered-models/alias`). */
export class RegisteredModels {
  constructor(private readonly transport: MlflowTransport) {}

  /** @throws ResourceAlreadyExistsError when the name is taken (MLflow answers 400) */
  async create(params: { name: string; description?: string; tags?: TagsInput }): Promise<RegisteredModel> {
    const body = await this.transport.json<{ registered_model: RegisteredModel }>({
      method: 'POST',
      path: `${API}/registered-models/create`,
      json: { name: params.name, description: params.description, tags: tagList(params.tags) },
    });
    return body.registered_model;
  }

  /** The model with its tags and aliases. @throws ResourceDoesNotExistError */
  async get(name: string): Promise<RegisteredModel> {
    const body = await this.transport.json<{ registered_model: RegisteredModel }>({
      method: 'GET',
      path: `${API}/registered-models/get`,
      query: { name },
    });
    return body.registered_model;
  }

  search(params: SearchRegisteredModelsParams = {}): Paginated<RegisteredModel> {
    return new Paginated((page_token) => this.searchPage({ ...params, page_token }));
  }

  async searchPage(params: SearchRegisteredModelsParams & { page_token?: string }): Promise<Page<RegisteredModel>> {
    const body = await this.transport.json<{ registered_models?: RegisteredModel[]; next_page_token?: string }>({
      method: 'GET',
      path: `${API}/registered-models/search`,
      query: params,
    });
    return { items: body.registered_models ?? [], next_page_token: body.next_page_token };
  }

  async updateDescription(params: { name: string; description: string }): Promise<RegisteredModel> {
    const body = await this.transport.json<{ registered_model: RegisteredModel }>({
      method: 'PATCH',
      path: `${API}/registered-models/update`,
      json: params,
      idempotent: true,
    });
    return body.registered_model;
  }

  /** Deletes the model and all its versions. */
  async delete(name: string): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: `${API}/registered-models/delete`, json: { name } });
  }

  async setTag(params: { name: string; key: string; value: string }): Promise<void> {
    await this.transport.json({
      method: 'POST',
      path: `${API}/registered-models/set-tag`,
      json: params,
      idempotent: true,
    });
  }

  async deleteTag(params: { name: string; key: string }): Promise<void> {
    await this.transport.json({
      method: 'DELETE',
      path: `${API}/registered-models/delete-tag`,
      json: params,
      idempotent: true,
    });
  }

  /** Points `alias` at `version`, moving it if another version held it. */
  async setAlias(params: { name: string; alias: string; version: string }): Promise<void> {
    await this.transport.json({
      method: 'POST',
      path: `${API}/registered-models/alias`,
      json: params,
      idempotent: true,
    });
  }

  /** Removes an alias; removing an alias that is not set succeeds, as in MLflow. */
  async deleteAlias(params: { name: string; alias: string }): Promise<void> {
    await this.transport.json({
      method: 'DELETE',
      path: `${API}/registered-models/alias`,
      json: params,
      idempotent: true,
    });
  }

  /**
   * The version an alias points to.
   * @throws AliasNotFoundError when the model has no such alias (MLflow's 400 turned into a "not found")
   * @throws ResourceDoesNotExistError when the model does not exist
   */
  async getVersionByAlias(params: { name: string; alias: string }): Promise<ModelVersion> {
    try {
      const body = await this.transport.json<{ model_version: ModelVersion }>({
        method: 'GET',
        path: `${API}/registered-models/alias`,
        query: params,
      });
      return body.model_version;
    } catch (error) {
      if (error instanceof InvalidParameterValueError && /alias .* not found/i.test(error.message)) {
        throw new AliasNotFoundError(params.name, params.alias, {
          status: error.status,
          errorCode: error.errorCode,
          request: error.request,
          cause: error,
        });
      }
      throw error;
    }
  }
}
