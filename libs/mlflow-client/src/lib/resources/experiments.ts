import { ResourceAlreadyExistsError, ResourceDoesNotExistError } from '../core/errors';
import { Paginated, type Page } from '../core/pagination';
import { API } from '../core/paths';
import { tagList, type Tag, type TagsInput } from '../core/tags';
import type { MlflowTransport } from '../core/transport';

/** MLflow's Experiment message. */
export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: 'active' | 'deleted';
  last_update_time?: number;
  creation_time?: number;
  tags?: Tag[];
}

export interface CreateExperimentParams {
  name: string;
  artifact_location?: string;
  tags?: TagsInput;
}

/** Experiments per page when a search names no `max_results`: MLflow's Python client's default. */
export const DEFAULT_SEARCH_MAX_RESULTS = 1000;

export interface SearchExperimentsParams {
  /** MLflow's filter, e.g. `tags.team = 'churn'` or `name LIKE 'churn%'`. */
  filter?: string;
  order_by?: string[];
  max_results?: number;
  view_type?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
}

/** `/api/2.0/mlflow/experiments/*` */
export class Experiments {
  constructor(private readonly transport: MlflowTransport) {}

  /** @throws ResourceDoesNotExistError when no experiment has this id */
  async get(experimentId: string): Promise<Experiment> {
    const body = await this.transport.json<{ experiment: Experiment }>({
      method: 'GET',
      path: `${API}/experiments/get`,
      query: { experiment_id: experimentId },
    });
    return body.experiment;
  }

  /** @throws ResourceDoesNotExistError when no experiment has this name */
  async getByName(name: string): Promise<Experiment> {
    const body = await this.transport.json<{ experiment: Experiment }>({
      method: 'GET',
      path: `${API}/experiments/get-by-name`,
      query: { experiment_name: name },
    });
    return body.experiment;
  }

  /**
   * Creates an experiment and returns its id.
   * @throws ResourceAlreadyExistsError when the name is taken (MLflow answers 400)
   */
  async create(params: CreateExperimentParams): Promise<string> {
    const body = await this.transport.json<{ experiment_id: string }>({
      method: 'POST',
      path: `${API}/experiments/create`,
      json: { name: params.name, artifact_location: params.artifact_location, tags: tagList(params.tags) },
    });
    return body.experiment_id;
  }

  /** All experiments matching the search (active ones by default), fetched page by page as iterated. */
  search(params: SearchExperimentsParams = {}): Paginated<Experiment> {
    return new Paginated((page_token) => this.searchPage({ ...params, page_token }));
  }

  /** One page of an experiment search; pass the previous page's `next_page_token` to continue. */
  async searchPage(params: SearchExperimentsParams & { page_token?: string }): Promise<Page<Experiment>> {
    const body = await this.transport.json<{ experiments?: Experiment[]; next_page_token?: string }>({
      method: 'POST',
      path: `${API}/experiments/search`,
      // MLflow's REST API refuses a search without max_results (it reads the missing field as 0);
      // its Python client sends 1000 by default, and so does this one.
      json: { ...params, max_results: params.max_results ?? DEFAULT_SEARCH_MAX_RESULTS },
      // A search reads only; MLflow takes it as a POST.
      idempotent: true,
    });
    return { items: body.experiments ?? [], next_page_token: body.next_page_token };
  }

  /** Sets (or overwrites) one tag of an experiment. @throws ResourceDoesNotExistError */
  async setTag(params: { experiment_id: string; key: string; value: string }): Promise<void> {
    await this.transport.json({
      method: 'POST',
      path: `${API}/experiments/set-experiment-tag`,
      json: params,
      idempotent: true,
    });
  }

  /**
   * The experiment with this name, created if missing. Safe when several processes race: the loser
   * of a concurrent create gets "already exists" and reads the winner's experiment.
   */
  async getOrCreate(name: string): Promise<Experiment> {
    try {
      return await this.getByName(name);
    } catch (error) {
      if (!(error instanceof ResourceDoesNotExistError)) throw error;
    }
    try {
      return await this.get(await this.create({ name }));
    } catch (error) {
      if (error instanceof ResourceAlreadyExistsError) return this.getByName(name);
      throw error;
    }
  }
}
