/** Runtimes that run model servers on this host: child processes or Docker containers. */
export * from './runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.js';
export {
  DockerRuntime,
  buildCreateOptions,
  containerName,
  deviceRequests,
  dockerClient,
  LABELS,
  type CreateContext,
  type DockerRuntimeOptions,
} from './docker-runtime.js';
export { LineRing, tailFile, trimFile, demuxDockerLogs } from './logs.js';
export { allocatePort } from './ports.js';
export { detectRuntime, dockerRuntimeFrom, processRuntimeFrom } from './factory.js';
