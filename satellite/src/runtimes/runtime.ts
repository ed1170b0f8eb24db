import type { ModelFormat } from '../config/model-server.config.js';
import { DeploymentUnhealthy, RuntimeError, ensureError } from '../common/errors.js';

/** Where a model runs. */
export type RuntimeKind = 'process' | 'docker';

/** GPUs a deployment asks for (Docker `DeviceRequests`; `CUDA_VISIBLE_DEVICES` for processes). */
export interface GpuRequest {
  /** How many GPUs, or `all`. Ignored when `deviceIds` is set. Default `all`. */
  count?: number | 'all';
  /** Exact devices (indexes or UUIDs). */
  deviceIds?: string[];
  /** Device driver. Default `nvidia`. */
  driver?: string;
  /** Driver capabilities. Default `['gpu']`. */
  capabilities?: string[];
}

/** Resource limits of one deployment. */
export interface ResourceLimits {
  /** Memory limit, bytes (Docker only). */
  memoryBytes?: number;
  /** CPU limit in CPUs, e.g. 1.5 (Docker only). */
  cpus?: number;
  gpus?: GpuRequest;
}

/** What to run: one model file served by the model server. */
export interface DeploymentSpec {
  /** Deployment id: letters, digits, `_`, `.`, `-`; at most 128 characters. */
  deploymentId: string;
  /** The model file on this host. */
  modelPath: string;
  format: ModelFormat;
  /** Id served by the model (`/v1/models`). Default: the file name. */
  modelId?: string;
  /** Port to listen on; unset or 0 allocates a free one. */
  port?: number;
  /** Extra environment of the model server (secrets, `APOGEE_LLAMA_*`). */
  env?: Record<string, string>;
  /** Extra model-server flags (`--threads 1`). */
  args?: string[];
  /** LoRA adapters (GGUF) on this host, each served as the model `name` (GGUF models only). */
  adapters?: { name: string; path: string }[];
  resources?: ResourceLimits;
  /** Image (Docker runtime). Default: the configured model-server image. */
  image?: string;
}

/** Lifecycle state of a running model as the runtime sees it. */
export type ModelState = 'starting' | 'running' | 'exited';

/** A model the runtime started (found again after a restart by its labels or state file). */
export interface RunningModel {
  deploymentId: string;
  runtime: RuntimeKind;
  /** Base URL of the model server. */
  url: string;
  port: number;
  state: ModelState;
  format: ModelFormat;
  modelPath: string;
  /** ISO time the model was started. */
  startedAt: string;
  /** Process id (process runtime). */
  pid?: number;
  /** Container id (Docker runtime). */
  containerId?: string;
  /** Exit code when exited and known. */
  exitCode?: number | null;
}

/** One health probe of a deployment. */
export interface HealthReport {
  deploymentId: string;
  state: ModelState;
  /** True when `/healthz` answered 200 (the model is loaded). */
  healthy: boolean;
  /** HTTP status of `/healthz`, when it answered. */
  status?: number;
  /** Parsed `/healthz` body, when it answered with JSON. */
  body?: unknown;
  /** Why the probe failed. */
  error?: string;
}

/** Runs model servers: one interface for the process and Docker runtimes. */
export interface Runtime {
  readonly kind: RuntimeKind;
  /** Starts a model (replacing a deployment with the same id). Returns once launched; see {@link waitForHealthy}. */
  start(spec: DeploymentSpec): Promise<RunningModel>;
  /** Stops and removes a deployment. Idempotent: returns false when nothing was running under that id. */
  stop(deploymentId: string): Promise<boolean>;
  /** The last `lines` lines of a deployment's output. */
  logs(deploymentId: string, lines: number): Promise<string[]>;
  /** Every deployment this runtime manages, running or exited, found by its labels or state files. */
  list(): Promise<RunningModel[]>;
  /** Probes a deployment's `/healthz` once. */
  health(deploymentId: string): Promise<HealthReport>;
}

const DEPLOYMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Checks a spec before anything is started; throws `RuntimeError('invalid_spec')`. */
export function validateSpec(spec: DeploymentSpec): void {
  if (!DEPLOYMENT_ID.test(spec.deploymentId)) {
    throw new RuntimeError(
      'invalid_spec',
      `Invalid deployment id "${spec.deploymentId}": use letters, digits, _ . - (max 128)`,
    );
  }
  if (
    spec.port !== undefined &&
    (!Number.isInteger(spec.port) || spec.port < 0 || spec.port > 65535)
  ) {
    throw new RuntimeError('invalid_spec', `Invalid port ${spec.port}`);
  }
  const gpus = spec.resources?.gpus;
  if (
    gpus?.count !== undefined &&
    gpus.count !== 'all' &&
    (!Number.isInteger(gpus.count) || gpus.count < 1)
  ) {
    throw new RuntimeError('invalid_spec', `Invalid GPU count ${String(gpus.count)}`);
  }
}

/** Probes `${url}/healthz` once, with a timeout. */
export async function probeHealth(
  deploymentId: string,
  url: string,
  timeoutMs = 2000,
): Promise<Omit<HealthReport, 'state'> & { reachable: boolean }> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // Not JSON: keep the text as the body.
    }
    return { deploymentId, reachable: true, healthy: res.status === 200, status: res.status, body };
  } catch (e) {
    return { deploymentId, reachable: false, healthy: false, error: ensureError(e).message };
  }
}

/** Options of {@link waitForHealthy}. */
export interface WaitForHealthyOptions {
  /** Give up after this long, ms. Default 300000 (5 min). */
  timeoutMs?: number;
  /** Time between probes, ms. Default 250. */
  intervalMs?: number;
  /** Log lines attached to the error when it fails. Default 50. */
  logLines?: number;
  signal?: AbortSignal;
}

/**
 * Polls a deployment until `/healthz` answers 200. Fails fast, with the last log lines, when the
 * model exits or its server reports that loading failed.
 */
export async function waitForHealthy(
  runtime: Runtime,
  deploymentId: string,
  options: WaitForHealthyOptions = {},
): Promise<HealthReport> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  const fail = async (message: string): Promise<never> => {
    let lines: string[] = [];
    try {
      lines = await runtime.logs(deploymentId, options.logLines ?? 50);
    } catch (e) {
      lines = [`(logs unavailable: ${ensureError(e).message})`];
    }
    throw new DeploymentUnhealthy(deploymentId, message, lines);
  };
  for (;;) {
    options.signal?.throwIfAborted();
    const report = await runtime.health(deploymentId);
    if (report.healthy) return report;
    if (report.state === 'exited')
      return fail(`Deployment ${deploymentId} exited before it became healthy`);
    const body = report.body as { status?: unknown; error?: unknown } | undefined;
    if (body?.status === 'failed')
      return fail(`Deployment ${deploymentId} failed to load its model: ${String(body.error)}`);
    if (Date.now() >= deadline)
      return fail(
        `Deployment ${deploymentId} was not healthy within ${options.timeoutMs ?? 300_000} ms`,
      );
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
