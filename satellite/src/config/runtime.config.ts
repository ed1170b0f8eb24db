import path from 'node:path';
import { int, oneOf, str, type RawEnv } from './parse.js';

/** Configuration of the runtimes the satellite starts models with. */
export interface RuntimeConfig {
  /** `APOGEE_SATELLITE_DATA_DIR` — the satellite's state (process runtime pid/state files, logs). Default `./.apogee/satellite`. */
  dataDir: string;
  /** `APOGEE_MODEL_BIND_HOST` — interface model servers listen on (process runtime and Docker host network). Default `127.0.0.1`: the agent proxies inference. */
  modelBindHost: string;
  /** `APOGEE_MODEL_ADVERTISE_HOST` — host the satellite uses in a deployment's URL. Default `127.0.0.1`. */
  modelAdvertiseHost: string;
  /** `APOGEE_STOP_TIMEOUT` — seconds between SIGTERM and SIGKILL when stopping a model. Default 10. */
  stopTimeoutSec: number;
  /** `APOGEE_MODEL_LOG_MAX_BYTES` — size a process runtime's log file is trimmed back from, bytes. Default 10485760 (10 MiB). */
  logMaxBytes: number;
  /** `DOCKER_HOST` — the Docker Engine socket (`unix:///var/run/docker.sock`) or `tcp://host:port`. Default `unix:///var/run/docker.sock`. */
  dockerHost: string;
  /** `APOGEE_MODEL_SERVER_IMAGE` — image the Docker runtime runs the model server from. Default `apogee/model-server:dev`. */
  modelServerImage: string;
  /** `APOGEE_DOCKER_NETWORK` — `host` (models listen on a host port) or a Docker network name whose containers get a published port (e.g. `bridge`). Default `host`. */
  dockerNetwork: string;
  /** `APOGEE_DOCKER_RESTART` — restart policy of model containers. Default `unless-stopped`. */
  dockerRestartPolicy: 'no' | 'always' | 'unless-stopped' | 'on-failure';
}

/** Reads and validates the runtime configuration; throws `ConfigError` naming the bad variable. */
export function readRuntimeConfig(env: RawEnv): RuntimeConfig {
  return {
    dataDir: path.resolve(str(env, 'APOGEE_SATELLITE_DATA_DIR', './.apogee/satellite')),
    modelBindHost: str(env, 'APOGEE_MODEL_BIND_HOST', '127.0.0.1'),
    modelAdvertiseHost: str(env, 'APOGEE_MODEL_ADVERTISE_HOST', '127.0.0.1'),
    stopTimeoutSec: int(env, 'APOGEE_STOP_TIMEOUT', 10, 0, 3600),
    logMaxBytes: int(env, 'APOGEE_MODEL_LOG_MAX_BYTES', 10 * 1024 * 1024, 64 * 1024),
    dockerHost: str(env, 'DOCKER_HOST', 'unix:///var/run/docker.sock'),
    modelServerImage: str(env, 'APOGEE_MODEL_SERVER_IMAGE', 'apogee/model-server:dev'),
    dockerNetwork: str(env, 'APOGEE_DOCKER_NETWORK', 'host'),
    dockerRestartPolicy: oneOf(
      env,
      'APOGEE_DOCKER_RESTART',
      ['no', 'always', 'unless-stopped', 'on-failure'] as const,
      'unless-stopped',
    ),
  };
}
