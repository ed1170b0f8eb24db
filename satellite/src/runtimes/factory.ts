import { ensureError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { RuntimeConfig } from '../config/runtime.config.js';
import { DockerRuntime } from './docker-runtime.js';
import { ProcessRuntime } from './process-runtime.js';
import type { Runtime } from './runtime.js';

/** Builds the Docker runtime from the satellite's configuration. */
export function dockerRuntimeFrom(
  config: RuntimeConfig,
  log: Logger = silentLogger,
): DockerRuntime {
  return new DockerRuntime({
    dockerHost: config.dockerHost,
    image: config.modelServerImage,
    network: config.dockerNetwork,
    bindHost: config.modelBindHost,
    advertiseHost: config.modelAdvertiseHost,
    stopTimeoutSec: config.stopTimeoutSec,
    restartPolicy: config.dockerRestartPolicy,
    log,
  });
}

/** Builds the process runtime from the satellite's configuration. */
export function processRuntimeFrom(
  config: RuntimeConfig,
  log: Logger = silentLogger,
): ProcessRuntime {
  return new ProcessRuntime({
    dataDir: config.dataDir,
    bindHost: config.modelBindHost,
    advertiseHost: config.modelAdvertiseHost,
    stopTimeoutSec: config.stopTimeoutSec,
    logMaxBytes: config.logMaxBytes,
    log,
  });
}

/**
 * The runtime a satellite uses by default: Docker when an engine answers on `DOCKER_HOST`, else
 * child processes.
 */
export async function detectRuntime(
  config: RuntimeConfig,
  log: Logger = silentLogger,
): Promise<Runtime> {
  const docker = dockerRuntimeFrom(config, log);
  try {
    await docker.ping();
    log.info('using the Docker runtime', { dockerHost: config.dockerHost });
    return docker;
  } catch (e) {
    log.info('no Docker engine answers; using the process runtime', {
      dockerHost: config.dockerHost,
      reason: ensureError(e).message,
    });
    return processRuntimeFrom(config, log);
  }
}
