import { ApogeeError } from '../core/errors.js';
import type { RequestOptions } from '../core/http.js';
import type { PagePromise } from '../core/pagination.js';
import { path } from '../core/http.js';
import { sleep } from '../core/sleep.js';
import { APIResource } from './resource.js';

export type DeploymentStatus =
  'pending' | 'deploying' | 'active' | 'failed' | 'stopping' | 'stopped' | 'not_responding';

export interface DeploymentResources {
  gpus?: number;
  /** Memory limit, MiB (Docker). */
  memoryMb?: number;
  /** CPU limit in CPUs (Docker). */
  cpus?: number;
}

export interface Deployment {
  id: string;
  organizationId: string;
  orbitId: string;
  satelliteId: string;
  satelliteName: string;
  /** The artifact served; for a deployment following an alias, the version it serves now. */
  artifactId: string;
  /** Deploy by alias: the followed track, else null. */
  trackId: string | null;
  /** Deploy by alias: the followed alias of `trackId`, else null. */
  alias: string | null;
  name: string;
  description: string;
  format: string;
  runtime: 'docker' | 'process' | null;
  status: DeploymentStatus;
  /** Why it failed or is not responding, with the model server's last log lines. */
  statusReason: string | null;
  env: Record<string, string>;
  /** Environment variable → orbit secret name. */
  secrets: Record<string, string>;
  resources: DeploymentResources;
  /** Where the satellite serves it (call with your API key). */
  inferenceUrl: string | null;
  schema: Record<string, unknown> | null;
  /** Cold-start waterfall: ISO time of each phase reached. */
  phases: Partial<Record<'queued' | 'claimed' | 'downloaded' | 'started' | 'healthy', string>>;
  health: { healthy: boolean; state: string; error?: string | null; checkedAt: string } | null;
  lastTask: {
    id: string;
    type: string;
    status: string;
    attempt: number;
    maxAttempts: number;
    progress: string | null;
    error: string | null;
  } | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentCreateParams {
  /** The artifact to serve; or give `track` and `alias` instead to follow an alias. */
  artifactId?: string;
  /** Deploy by alias: the track (id or name) whose `alias` to follow. */
  track?: string;
  /** Deploy by alias, e.g. `production`: moving it redeploys the new version. */
  alias?: string;
  name: string;
  description?: string;
  /** Default: an active satellite of the orbit that serves the artifact's format. */
  satelliteId?: string;
  runtime?: 'docker' | 'process';
  env?: Record<string, string>;
  /** Environment variable → orbit secret name. */
  secrets?: Record<string, string>;
  resources?: DeploymentResources;
}

export interface DeploymentLogs {
  lines: string[];
  updatedAt: string | null;
}

/** An ONNX tensor as the model server accepts and answers it. */
export interface Tensor {
  type?: string;
  dims?: number[];
  data: unknown;
}

export interface PredictResponse {
  outputs: Record<string, Tensor>;
}

export interface WaitOptions extends RequestOptions {
  /** Give up after this long, ms. Default 300000 (5 min). */
  timeoutMs?: number;
  /** Time between polls, ms. Default 500. */
  intervalMs?: number;
}

/** A deployment ended `failed` (or was stopped) while {@link Deployments.waitUntilActive} waited. */
export class DeploymentFailedError extends ApogeeError {
  constructor(readonly deployment: Deployment) {
    super(
      `Deployment ${deployment.name} is ${deployment.status}${deployment.statusReason ? `: ${deployment.statusReason}` : ''}`,
    );
  }
}

/** Deployments of an orbit: `/v1/organizations/{org}/orbits/{orbit}/deployments`. */
export class Deployments extends APIResource {
  list(org: string, orbit: string, opts?: RequestOptions): PagePromise<Deployment> {
    return this._client.getList(
      path`/v1/organizations/${org}/orbits/${orbit}/deployments`,
      {},
      opts,
    );
  }

  get(org: string, orbit: string, deployment: string, opts?: RequestOptions): Promise<Deployment> {
    return this._client.get(this.base(org, orbit, deployment), opts);
  }

  /** Deploys an uploaded model artifact; it starts `pending`. See {@link Deployments.waitUntilActive}. */
  create(
    org: string,
    orbit: string,
    params: DeploymentCreateParams,
    opts?: RequestOptions,
  ): Promise<Deployment> {
    return this._client.post(
      path`/v1/organizations/${org}/orbits/${orbit}/deployments`,
      params,
      opts,
    );
  }

  /** Polls until the deployment is active; throws {@link DeploymentFailedError} when it fails or stops. */
  async waitUntilActive(
    org: string,
    orbit: string,
    deployment: string,
    opts: WaitOptions = {},
  ): Promise<Deployment> {
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
    for (;;) {
      const d = await this.get(org, orbit, deployment, opts);
      if (d.status === 'active') return d;
      if (d.status === 'failed' || d.status === 'stopped' || d.status === 'stopping')
        throw new DeploymentFailedError(d);
      if (Date.now() > deadline)
        throw new ApogeeError(
          `Deployment ${d.name} is still ${d.status} after ${opts.timeoutMs ?? 300_000} ms`,
        );
      await sleep(opts.intervalMs ?? 500, opts.signal);
    }
  }

  /** Runs the model through the API: `{ inputs: { x: [[1, 2, 3, 4]] } }` → `{ outputs }`. */
  predict(
    org: string,
    orbit: string,
    deployment: string,
    body: { inputs: Record<string, unknown> },
    opts?: RequestOptions,
  ): Promise<PredictResponse> {
    return this._client.post(`${this.base(org, orbit, deployment)}/predict`, body, opts);
  }

  /** The model server's last log lines. */
  logs(
    org: string,
    orbit: string,
    deployment: string,
    params: { lines?: number } = {},
    opts?: RequestOptions,
  ): Promise<DeploymentLogs> {
    return this._client.get(`${this.base(org, orbit, deployment)}/logs`, {
      ...opts,
      query: { lines: params.lines },
    });
  }

  /** Stops it (`stopping`, then `stopped`). */
  stop(org: string, orbit: string, deployment: string, opts?: RequestOptions): Promise<Deployment> {
    return this._client.post(`${this.base(org, orbit, deployment)}/stop`, undefined, opts);
  }

  /** Deploys it again with the same artifact and settings. */
  redeploy(
    org: string,
    orbit: string,
    deployment: string,
    opts?: RequestOptions,
  ): Promise<Deployment> {
    return this._client.post(`${this.base(org, orbit, deployment)}/redeploy`, undefined, opts);
  }

  /** Deletes it once stopped; `force` removes the record at once (the satellite still stops the model). */
  async delete(
    org: string,
    orbit: string,
    deployment: string,
    params: { force?: boolean } = {},
    opts?: RequestOptions,
  ): Promise<void> {
    await this._client.delete(
      `${this.base(org, orbit, deployment)}${params.force ? '?force=true' : ''}`,
      opts,
    );
  }

  private base(org: string, orbit: string, deployment: string): string {
    return path`/v1/organizations/${org}/orbits/${orbit}/deployments/${deployment}`;
  }
}
