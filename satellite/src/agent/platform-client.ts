import { SatelliteError, ensureError } from '../common/errors.js';

/** The API answered with an error status. */
export class PlatformError extends SatelliteError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, `${status} ${code}: ${message}`);
  }
  /** Worth trying again later (the API is overloaded or restarting). */
  get transient(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** The API could not be reached (refused, reset, timed out). */
export class PlatformUnreachable extends SatelliteError {
  constructor(cause: unknown) {
    super('platform_unreachable', `The Apogee API cannot be reached: ${describe(cause)}`, {
      cause,
    });
  }
}

/** True for failures that go away by waiting: unreachable API or a transient status. */
export function isTransient(e: unknown): boolean {
  return e instanceof PlatformUnreachable || (e instanceof PlatformError && e.transient);
}

export interface Capabilities {
  runtimes: ('docker' | 'process')[];
  gpus: { model: string; memoryMb: number }[];
  cpus: number;
  memoryMb: number;
  diskFreeMb?: number;
  formats: string[];
  taskTypes: string[];
  maxConcurrency: number;
}

export interface ClaimedTask {
  id: string;
  type: 'deploy' | 'undeploy' | 'load_model';
  payload: Record<string, unknown>;
  deploymentId: string | null;
  attempt: number;
  maxAttempts: number;
}

export interface DeploymentSpec {
  id: string;
  name: string;
  status: string;
  artifactId: string;
  format: string;
  sha256: string;
  size: number;
  fileName: string;
  runtime: 'docker' | 'process' | null;
  env: Record<string, string>;
  secretEnv: string[];
  resources: { gpus?: number; memoryMb?: number; cpus?: number };
}

/** One LoRA adapter of a deployment: served as the model `name`. */
export interface AdapterUrl {
  name: string;
  url: string;
  expiresAt: string;
  size: number;
  sha256: string;
  fileName: string;
}

export interface ArtifactUrl {
  url: string;
  expiresAt: string;
  size: number;
  sha256: string;
  fileName: string;
  format: string;
  /** Signed URLs of the deployment's LoRA adapters (GGUF), in order; absent from older platforms. */
  adapters?: AdapterUrl[];
}

export interface DeploymentHealth {
  id: string;
  healthy: boolean;
  state: 'starting' | 'running' | 'exited' | 'absent';
  error?: string;
  logs?: string[];
}

export interface WantedDeployment {
  id: string;
  status: string;
  wanted: boolean;
}

/**
 * The satellite protocol (`/satellites/v1/*`) over fetch, authenticated with the satellite key.
 * Errors are typed: {@link PlatformUnreachable} when nothing answered, {@link PlatformError} with
 * the API's `code` otherwise.
 */
export class PlatformClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      // Our own abort is not the API's fault: rethrow it as it is.
      if (opts.signal?.aborted) throw ensureError(opts.signal.reason);
      throw new PlatformUnreachable(e);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      if (opts.signal?.aborted) throw ensureError(opts.signal.reason);
      throw new PlatformUnreachable(e);
    }
    if (!res.ok) {
      let code = 'http_error';
      let message = text.slice(0, 500);
      try {
        const b = JSON.parse(text) as { code?: string; message?: string };
        code = b.code ?? code;
        message = b.message ?? message;
      } catch {
        // Not JSON (a proxy's error page): keep the text.
      }
      throw new PlatformError(res.status, code, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  pair(body: {
    baseUrl: string;
    version: string;
    capabilities: Capabilities;
  }): Promise<{ id: string; name: string; orbitId: string }> {
    return this.request('POST', '/satellites/v1/pair', body);
  }

  heartbeat(deployments: DeploymentHealth[]): Promise<{ deployments: WantedDeployment[] }> {
    return this.request('POST', '/satellites/v1/heartbeat', { deployments });
  }

  deployments(): Promise<WantedDeployment[]> {
    return this.request('GET', '/satellites/v1/deployments');
  }

  /** Long-polls for a task; null when none came within `waitMs`. */
  async claim(waitMs: number, leaseMs: number, signal?: AbortSignal): Promise<ClaimedTask | null> {
    const r = await this.request<{ task: ClaimedTask | null }>(
      'POST',
      '/satellites/v1/tasks/claim',
      { waitMs, leaseMs },
      { signal, timeoutMs: waitMs + 15_000 },
    );
    return r.task;
  }

  taskHeartbeat(id: string, leaseMs: number, progress?: string): Promise<unknown> {
    return this.request('POST', `/satellites/v1/tasks/${id}/heartbeat`, {
      leaseMs,
      ...(progress ? { progress: progress.slice(0, 2000) } : {}),
    });
  }

  complete(id: string, result: Record<string, unknown>): Promise<unknown> {
    return this.request('POST', `/satellites/v1/tasks/${id}/complete`, { result });
  }

  fail(
    id: string,
    error: string,
    retryable: boolean,
    result?: Record<string, unknown>,
  ): Promise<unknown> {
    return this.request('POST', `/satellites/v1/tasks/${id}/fail`, {
      error: error.slice(0, 20_000) || 'failed',
      retryable,
      ...(result ? { result } : {}),
    });
  }

  spec(deploymentId: string): Promise<DeploymentSpec> {
    return this.request('GET', `/satellites/v1/deployments/${deploymentId}`);
  }

  artifactUrl(deploymentId: string): Promise<ArtifactUrl> {
    return this.request('GET', `/satellites/v1/deployments/${deploymentId}/artifact-url`);
  }

  secrets(deploymentId: string): Promise<{ env: Record<string, string> }> {
    return this.request('GET', `/satellites/v1/deployments/${deploymentId}/secrets`);
  }

  report(
    deploymentId: string,
    body: {
      phase?: 'downloaded' | 'started' | 'healthy';
      at?: string;
      runtime?: string;
      logs?: string[];
    },
  ): Promise<void> {
    return this.request('POST', `/satellites/v1/deployments/${deploymentId}/report`, body);
  }

  authorize(
    token: string,
    deploymentId: string,
  ): Promise<{ allowed: boolean; ttlSec: number; reason?: string }> {
    return this.request(
      'POST',
      '/satellites/v1/authorize',
      { token, deploymentId },
      { timeoutMs: 10_000 },
    );
  }
}

function describe(e: unknown): string {
  const err = ensureError(e);
  const cause = (err as { cause?: unknown }).cause;
  return cause ? `${err.message} (${ensureError(cause).message})` : err.message;
}
