import type { RequestOptions } from '../core/http.js';
import { path } from '../core/http.js';
import { APIResource } from './resource.js';

export type ModelSource = 'hugging_face' | 'object_store' | 'ollama' | 'artifact';
export type ModelLoadingStatus = 'REQUESTED' | 'LOADING' | 'SUCCEEDED' | 'FAILED';

/** How an active model runs. */
export interface ModelConfig {
  /** Deployments to run (one per satellite when several are allowed). Default 1. */
  replicas?: number;
  /** GPUs per replica. Default 0. */
  gpus?: number;
  /** Extra model-server flags. */
  extraArgs?: string[];
  /** Satellites it may run on; empty means any that serves its format. */
  allowedSatelliteIds?: string[];
  runtime?: 'docker' | 'process';
  /** A gateway request for the inactive model activates it and waits. Default false. */
  onDemand?: boolean;
}

/** The OpenAI model object plus Apogee's fields. */
export interface Model {
  id: string;
  object: 'model';
  /** Unix seconds. */
  created: number;
  owned_by: string;
  organizationId: string;
  orbitId: string;
  kind: 'base' | 'fine_tuned';
  source: string;
  location: string;
  loadingStatus: ModelLoadingStatus;
  /** Progress while loading ("downloaded 3/7 files, 1.2 GB of 3.4 GB; uploaded 2/7"). */
  loadingStatusMessage: string | null;
  loadingFailureReason: string | null;
  formats: string[];
  baseModelId: string | null;
  adapter: 'lora' | 'qlora' | null;
  published: boolean;
  activationStatus: 'active' | 'inactive';
  deploymentIds: string[];
  config: ModelConfig;
  files: {
    path: string;
    size: number;
    sha256: string;
    artifactId: string | null;
    uploaded: boolean;
  }[];
  taskId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ModelList {
  object: 'list';
  data: Model[];
  has_more: boolean;
}

/** A base model (`id` + `source`) or a fine-tuned one (`baseModelId` + `suffix`). */
export interface ModelCreateParams {
  /** Hugging Face `org/repo[/file.gguf]`, Ollama `name:tag`, or any path-like id (kept for life). */
  id?: string;
  source?: ModelSource;
  /** Where to load from when it differs from `id` (`s3://…`, an artifact id). */
  location?: string;
  /** Hugging Face revision. Default `main`. */
  revision?: string;
  /** Orbit secret holding the Hugging Face token. */
  tokenSecret?: string;
  storageBackendId?: string;
  /** One more base model per GGUF file of the repository. */
  splitGguf?: boolean;
  baseModelId?: string;
  /** `ft:<base>:<suffix>`; lowercase letters, digits and `-`, 1–40. */
  suffix?: string;
  adapter?: 'lora' | 'qlora';
  config?: ModelConfig;
}

export interface ModelListParams {
  /** Include models still loading and failed ones. */
  includeLoading?: boolean;
  /** Include unpublished fine-tuned models. */
  includeUnpublished?: boolean;
  /** Cursor: the last id of the previous page. */
  after?: string;
  /** 1–500. Default 100. */
  limit?: number;
}

export interface ModelUsage {
  orbitId: string;
  modelId: string;
  apiKeyId: string | null;
  userId: string | null;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

/** Model ids may contain `/`: each segment is encoded on its own. */
function idPath(id: string): string {
  return id
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%3A/gi, ':'))
    .join('/');
}

/** Models of an orbit: `/v1/organizations/{org}/orbits/{orbit}/models` (the OpenAI-style `/v1/models` serves the same). */
export class Models extends APIResource {
  private base(org: string, orbit: string): string {
    return path`/v1/organizations/${org}/orbits/${orbit}/models`;
  }

  /** One page of models (ordered by id); follow `has_more` with `after`, or use {@link Models.iterate}. */
  list(
    org: string,
    orbit: string,
    params: ModelListParams = {},
    opts?: RequestOptions,
  ): Promise<ModelList> {
    return this._client.get(this.base(org, orbit), {
      ...opts,
      query: {
        include_loading: params.includeLoading ? 'true' : undefined,
        include_unpublished: params.includeUnpublished ? 'true' : undefined,
        after: params.after,
        limit: params.limit,
      },
    });
  }

  /** Every model, page after page. */
  async *iterate(
    org: string,
    orbit: string,
    params: ModelListParams = {},
    opts?: RequestOptions,
  ): AsyncGenerator<Model> {
    let after = params.after;
    for (;;) {
      const page = await this.list(org, orbit, { ...params, after }, opts);
      yield* page.data;
      if (!page.has_more || !page.data.length) return;
      after = page.data.at(-1)!.id;
    }
  }

  get(
    org: string,
    orbit: string,
    id: string,
    opts?: RequestOptions & { includeUnpublished?: boolean },
  ): Promise<Model> {
    return this._client.get(`${this.base(org, orbit)}/${idPath(id)}`, {
      ...opts,
      query: { include_unpublished: opts?.includeUnpublished ? 'true' : undefined },
    });
  }

  /** Creates a base model (REQUESTED, loaded by a satellite) or a fine-tuned one (upload its files, then publish). */
  create(
    org: string,
    orbit: string,
    params: ModelCreateParams,
    opts?: RequestOptions,
  ): Promise<Model> {
    return this._client.post(this.base(org, orbit), params, opts);
  }

  /** Replaces the model's config. */
  update(
    org: string,
    orbit: string,
    id: string,
    config: ModelConfig,
    opts?: RequestOptions,
  ): Promise<Model> {
    return this._client.patch(`${this.base(org, orbit)}/${idPath(id)}`, { config }, opts);
  }

  /** Deletes the model and the files it stored; refused (409) while it is active. */
  delete(
    org: string,
    orbit: string,
    id: string,
    opts?: RequestOptions,
  ): Promise<{ id: string; object: 'model'; deleted: true }> {
    return this._client.delete(`${this.base(org, orbit)}/${idPath(id)}`, opts);
  }

  /** Deploys the model on satellites that serve its format (one deployment per replica). */
  activate(org: string, orbit: string, id: string, opts?: RequestOptions): Promise<Model> {
    return this.action(org, orbit, id, 'activate', undefined, opts);
  }

  /** Stops the model's deployments. */
  deactivate(org: string, orbit: string, id: string, opts?: RequestOptions): Promise<Model> {
    return this.action(org, orbit, id, 'deactivate', undefined, opts);
  }

  /** Loads a FAILED model again (files already stored are skipped). */
  retry(org: string, orbit: string, id: string, opts?: RequestOptions): Promise<Model> {
    return this.action(org, orbit, id, 'retry', undefined, opts);
  }

  /** Publishes a fine-tuned model once its files are uploaded. */
  publish(org: string, orbit: string, id: string, opts?: RequestOptions): Promise<Model> {
    return this.action(org, orbit, id, 'publish', undefined, opts);
  }

  /** Registers a file of a fine-tuned model; answers the artifact upload plan (PUT it, then complete the artifact). */
  addFile(
    org: string,
    orbit: string,
    id: string,
    file: { path: string; size: number; sha256: string },
    opts?: RequestOptions,
  ): Promise<{ done: boolean; artifactId?: string; upload?: Record<string, unknown> }> {
    return this.action(org, orbit, id, 'files', file, opts);
  }

  /** Gateway usage per model and API key (organization owners and admins). */
  usage(
    org: string,
    params: { from?: string; to?: string } = {},
    opts?: RequestOptions,
  ): Promise<ModelUsage[]> {
    return this._client.get(path`/v1/organizations/${org}/model-usage`, {
      ...opts,
      query: { from: params.from, to: params.to },
    });
  }

  /** Waits until the model has loaded (SUCCEEDED), throwing with the reason when it FAILED. */
  async waitUntilLoaded(
    org: string,
    orbit: string,
    id: string,
    opts: { timeoutMs?: number; intervalMs?: number; onProgress?: (m: Model) => void } = {},
  ): Promise<Model> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const m = await this._client.get<Model>(`${this.base(org, orbit)}/${idPath(id)}`, {
        query: { include_loading: 'true' },
      });
      opts.onProgress?.(m);
      if (m.loadingStatus === 'SUCCEEDED') return m;
      if (m.loadingStatus === 'FAILED')
        throw new Error(
          `Model ${id} failed to load: ${m.loadingFailureReason ?? 'unknown reason'}`,
        );
      if (Date.now() > deadline) throw new Error(`Model ${id} is still ${m.loadingStatus}`);
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1_000));
    }
  }

  private action<T>(
    org: string,
    orbit: string,
    id: string,
    action: string,
    body: unknown,
    opts?: RequestOptions,
  ): Promise<T> {
    return this._client.post(`${this.base(org, orbit)}/${idPath(id)}:${action}`, body ?? {}, opts);
  }
}
