import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../common/errors.js';
import type { LogLevel } from '../common/logger.js';
import { int, oneOf, str, type RawEnv } from '../config/parse.js';
import { readRuntimeConfig, type RuntimeConfig } from '../config/runtime.config.js';
import { readLoaderConfig, type LoaderConfig } from './loader.js';

/**
 * Configuration of the satellite agent (`apogee-satellite`). Only `APOGEE_URL` and
 * `APOGEE_SATELLITE_KEY` are required; every other field names its variable, default and unit.
 */
export interface AgentConfig {
  /** `APOGEE_URL` — the Apogee API, e.g. `https://apogee.example.com`. Required. */
  apiUrl: string;
  /** `APOGEE_SATELLITE_KEY` — the satellite's key (`sat_…`), shown once when the satellite was created. Required. */
  key: string;
  /** `APOGEE_SATELLITE_RUNTIME` — `auto` (Docker when an engine answers and has the model-server image, else process), `docker` or `process`. Default `auto`. */
  runtime: 'auto' | 'docker' | 'process';
  /** `APOGEE_SATELLITE_CONCURRENCY` — tasks run at once (claim slots). Default 2. */
  concurrency: number;
  /** `APOGEE_SATELLITE_HOST` — interface the inference gateway listens on. Default `0.0.0.0`. */
  gatewayHost: string;
  /** `APOGEE_SATELLITE_PORT` — port of the inference gateway; 0 picks a free one. Default 8090. */
  gatewayPort: number;
  /** `APOGEE_SATELLITE_BASE_URL` — URL at which the platform and clients reach the gateway. Default `http://{hostname}:{port}` (`127.0.0.1` when the gateway binds loopback). */
  baseUrl: string | null;
  /** `APOGEE_MODEL_CACHE_DIR` — downloaded artifacts, one file per sha256. Default `{dataDir}/models`. */
  cacheDir: string;
  /** `APOGEE_HEARTBEAT_INTERVAL` — between heartbeats (deployment health and log tails), ms. Default 10000. */
  heartbeatIntervalMs: number;
  /** `APOGEE_CLAIM_WAIT` — how long one claim long-polls, ms (the API caps it at 25000). Default 25000. */
  claimWaitMs: number;
  /** `APOGEE_TASK_LEASE` — lease asked for each claimed task, ms; renewed every third of it. Default 30000. */
  leaseMs: number;
  /** `APOGEE_TASK_TIMEOUT` — a task is aborted after this long, ms. Default 1800000 (30 min). */
  taskTimeoutMs: number;
  /** `APOGEE_HEALTH_TIMEOUT` — a started model must answer `/healthz` within this, ms. Default 300000 (5 min). */
  healthTimeoutMs: number;
  /** `APOGEE_AUTH_CACHE_TTL` — longest an authorization answer of the platform is reused, ms (the platform's own TTL caps it). Default 10000. */
  authCacheTtlMs: number;
  /** `APOGEE_BACKOFF_MIN` — first wait after the API could not be reached, ms; doubles (with jitter) up to the max. Default 500. */
  backoffMinMs: number;
  /** `APOGEE_BACKOFF_MAX` — longest wait between attempts to reach the API, ms. Default 30000. */
  backoffMaxMs: number;
  /** `APOGEE_LOG_TAIL_LINES` — last log lines of each model sent with heartbeats and failures. Default 50. */
  logTailLines: number;
  /** `APOGEE_DRAIN_TIMEOUT` — on SIGTERM, how long running tasks may finish before they are aborted, ms. Default 60000. */
  drainTimeoutMs: number;
  /** `APOGEE_LOG_LEVEL` — `debug`, `info`, `warn` or `error`. Default `info`. */
  logLevel: LogLevel;
  /** The runtimes' own settings (`APOGEE_SATELLITE_DATA_DIR`, `APOGEE_MODEL_SERVER_IMAGE`, `DOCKER_HOST`, …). */
  runtimes: RuntimeConfig;
  /** The model loader's settings (`HF_ENDPOINT`, `APOGEE_OLLAMA_REGISTRY`, `APOGEE_LOADER_*`); defaults when unset. */
  loader?: LoaderConfig;
}

/** Reads and validates the agent configuration as a whole; throws `ConfigError` naming the bad variable. */
export function readAgentConfig(env: RawEnv): AgentConfig {
  const apiUrl = httpUrl(env, 'APOGEE_URL', true)!;
  const key = str(env, 'APOGEE_SATELLITE_KEY');
  if (!key)
    throw new ConfigError(
      'APOGEE_SATELLITE_KEY',
      'required: the sat_… key shown when the satellite was created',
    );
  if (!key.startsWith('sat_'))
    throw new ConfigError('APOGEE_SATELLITE_KEY', 'must start with sat_');
  const runtimes = readRuntimeConfig(env);
  const backoffMinMs = int(env, 'APOGEE_BACKOFF_MIN', 500, 1, 600_000);
  const backoffMaxMs = int(env, 'APOGEE_BACKOFF_MAX', 30_000, 1, 3_600_000);
  if (backoffMaxMs < backoffMinMs)
    throw new ConfigError(
      'APOGEE_BACKOFF_MAX',
      `must be at least APOGEE_BACKOFF_MIN (${backoffMinMs})`,
    );
  return {
    apiUrl,
    key,
    runtime: oneOf(env, 'APOGEE_SATELLITE_RUNTIME', ['auto', 'docker', 'process'] as const, 'auto'),
    concurrency: int(env, 'APOGEE_SATELLITE_CONCURRENCY', 2, 1, 256),
    gatewayHost: str(env, 'APOGEE_SATELLITE_HOST', '0.0.0.0'),
    gatewayPort: int(env, 'APOGEE_SATELLITE_PORT', 8090, 0, 65535),
    baseUrl: httpUrl(env, 'APOGEE_SATELLITE_BASE_URL', false),
    cacheDir: path.resolve(
      str(env, 'APOGEE_MODEL_CACHE_DIR', path.join(runtimes.dataDir, 'models')),
    ),
    heartbeatIntervalMs: int(env, 'APOGEE_HEARTBEAT_INTERVAL', 10_000, 100, 600_000),
    claimWaitMs: int(env, 'APOGEE_CLAIM_WAIT', 25_000, 0, 25_000),
    leaseMs: int(env, 'APOGEE_TASK_LEASE', 30_000, 1_000, 600_000),
    taskTimeoutMs: int(env, 'APOGEE_TASK_TIMEOUT', 30 * 60_000, 1_000),
    healthTimeoutMs: int(env, 'APOGEE_HEALTH_TIMEOUT', 5 * 60_000, 1_000),
    authCacheTtlMs: int(env, 'APOGEE_AUTH_CACHE_TTL', 10_000, 0, 3_600_000),
    backoffMinMs,
    backoffMaxMs,
    logTailLines: int(env, 'APOGEE_LOG_TAIL_LINES', 50, 0, 500),
    drainTimeoutMs: int(env, 'APOGEE_DRAIN_TIMEOUT', 60_000, 0),
    logLevel: oneOf(env, 'APOGEE_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    runtimes,
    loader: readLoaderConfig(env, runtimes.dataDir),
  };
}

/** The gateway URL to announce: the configured base URL, else this host and the bound port. */
export function advertisedBaseUrl(config: AgentConfig, boundPort: number): string {
  if (config.baseUrl) return config.baseUrl;
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.gatewayHost);
  return `http://${loopback ? '127.0.0.1' : os.hostname()}:${boundPort}`;
}

function httpUrl(env: RawEnv, name: string, required: boolean): string | null {
  const raw = str(env, name);
  if (!raw) {
    if (required) throw new ConfigError(name, 'required: the URL of the Apogee API');
    return null;
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}
