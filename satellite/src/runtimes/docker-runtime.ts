import path from 'node:path';
import Docker from 'dockerode';
import {
  DeploymentNotFound,
  DockerUnavailable,
  RuntimeError,
  ensureError,
  errnoCode,
} from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { ModelFormat } from '../config/model-server.config.js';
import { demuxDockerLogs } from './logs.js';
import { allocatePort } from './ports.js';
import {
  probeHealth,
  validateSpec,
  type DeploymentSpec,
  type GpuRequest,
  type HealthReport,
  type ModelState,
  type RunningModel,
  type Runtime,
} from './runtime.js';

/** Labels every model container carries; `list()` finds containers by them after a restart. */
export const LABELS = {
  managed: 'apogee.managed',
  deployment: 'apogee.deployment',
  format: 'apogee.format',
  port: 'apogee.port',
  modelPath: 'apogee.model-path',
  startedAt: 'apogee.started-at',
} as const;

/** Where the model file is mounted inside the container (read-only). */
export const CONTAINER_MODEL_DIR = '/models';
/** Port the model server listens on inside the container when the network is not `host`. */
export const CONTAINER_PORT = 8080;

/** Options of {@link DockerRuntime}. */
export interface DockerRuntimeOptions {
  /** A dockerode client; default one built from `dockerHost`. */
  docker?: Docker;
  /** `unix:///var/run/docker.sock` or `tcp://host:port`. Default `unix:///var/run/docker.sock`. */
  dockerHost?: string;
  /** Image to run when a spec names none. Default `apogee/model-server:dev`. */
  image?: string;
  /** `host`, or a network whose containers get a published port. Default `host`. */
  network?: string;
  /** Interface model servers bind (host network) or ports are published on. Default `127.0.0.1`. */
  bindHost?: string;
  /** Host used in deployment URLs. Default `127.0.0.1`. */
  advertiseHost?: string;
  /** Seconds Docker waits after SIGTERM before SIGKILL. Default 10. */
  stopTimeoutSec?: number;
  /** Restart policy. Default `unless-stopped`. */
  restartPolicy?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  log?: Logger;
}

/** Builds a dockerode client for a `DOCKER_HOST` value. */
export function dockerClient(dockerHost: string): Docker {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:')
    return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
  throw new RuntimeError('invalid_config', `Unsupported DOCKER_HOST ${dockerHost}`);
}

/** Container name of a deployment. */
export function containerName(deploymentId: string): string {
  return `apogee-model-${deploymentId}`;
}

/** Docker `DeviceRequests` for a GPU request (what `docker run --gpus` sends). */
export function deviceRequests(gpus: GpuRequest | undefined): Docker.DeviceRequest[] | undefined {
  if (!gpus) return undefined;
  const request: Docker.DeviceRequest = {
    Driver: gpus.driver ?? 'nvidia',
    Capabilities: [gpus.capabilities ?? ['gpu']],
  };
  // Docker rejects a request with both a count and device ids.
  if (gpus.deviceIds?.length) request.DeviceIDs = [...gpus.deviceIds];
  else request.Count = gpus.count === undefined || gpus.count === 'all' ? -1 : gpus.count;
  return [request];
}

/** Inputs of {@link buildCreateOptions} besides the spec. */
export interface CreateContext {
  image: string;
  network: string;
  bindHost: string;
  /** Port the model answers on, on the host. */
  hostPort: number;
  restartPolicy: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  startedAt: string;
}

/** Forms the Docker create-container request of a deployment (pure: unit-tested without an engine). */
export function buildCreateOptions(
  spec: DeploymentSpec,
  ctx: CreateContext,
): Docker.ContainerCreateOptions {
  const hostNetwork = ctx.network === 'host';
  const modelPath = path.resolve(spec.modelPath);
  const inContainer = `${CONTAINER_MODEL_DIR}/${path.basename(modelPath)}`;
  const listenPort = hostNetwork ? ctx.hostPort : CONTAINER_PORT;
  const cmd = [
    '--model',
    inContainer,
    '--format',
    spec.format,
    '--port',
    String(listenPort),
    '--host',
    hostNetwork ? ctx.bindHost : '0.0.0.0',
    '--deployment-id',
    spec.deploymentId,
    ...(spec.modelId
      ? ['--model-id', spec.modelId]
      : ['--model-id', path.basename(modelPath, path.extname(modelPath))]),
    ...(spec.args ?? []),
  ];
  // Each adapter is mounted read-only next to the model, under a name of its own.
  const adapterMounts = (spec.adapters ?? []).map((a, i) => ({
    name: a.name,
    host: path.resolve(a.path),
    inContainer: `${CONTAINER_MODEL_DIR}/adapter-${i}-${path.basename(a.path)}`,
  }));
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (adapterMounts.length)
    env.push(
      `APOGEE_LORA_ADAPTERS=${JSON.stringify(adapterMounts.map((a) => ({ name: a.name, path: a.inContainer })))}`,
    );
  const res = spec.resources;
  const portKey = `${CONTAINER_PORT}/tcp`;
  const hostConfig: Docker.HostConfig = {
    NetworkMode: ctx.network,
    Binds: [
      `${modelPath}:${inContainer}:ro`,
      ...adapterMounts.map((a) => `${a.host}:${a.inContainer}:ro`),
    ],
    RestartPolicy: { Name: ctx.restartPolicy },
    ...(hostNetwork
      ? {}
      : {
          PortBindings: { [portKey]: [{ HostIp: ctx.bindHost, HostPort: String(ctx.hostPort) }] },
        }),
    ...(res?.memoryBytes ? { Memory: res.memoryBytes } : {}),
    ...(res?.cpus ? { NanoCpus: Math.round(res.cpus * 1e9) } : {}),
    ...(res?.gpus ? { DeviceRequests: deviceRequests(res.gpus) } : {}),
  };
  return {
    name: containerName(spec.deploymentId),
    Image: spec.image ?? ctx.image,
    Cmd: cmd,
    Env: env,
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.deployment]: spec.deploymentId,
      [LABELS.format]: spec.format,
      [LABELS.port]: String(ctx.hostPort),
      [LABELS.modelPath]: modelPath,
      [LABELS.startedAt]: ctx.startedAt,
    },
    ...(hostNetwork ? {} : { ExposedPorts: { [portKey]: {} } }),
    HostConfig: hostConfig,
  };
}

function stateOf(dockerState: string): ModelState {
  switch (dockerState) {
    case 'running':
      return 'running';
    case 'created':
    case 'restarting':
      return 'starting';
    default:
      return 'exited';
  }
}

function statusCode(e: unknown): number | undefined {
  return typeof e === 'object' &&
    e !== null &&
    'statusCode' in e &&
    typeof e.statusCode === 'number'
    ? e.statusCode
    : undefined;
}

/**
 * Runs each model server in a Docker container (our model-server image by default) labelled
 * `apogee.managed=true` and `apogee.deployment=<id>`; restart policy `unless-stopped`, memory/CPU
 * limits and GPU `DeviceRequests` from the spec; the model file bind-mounted read-only.
 */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private readonly docker: Docker;
  private readonly image: string;
  private readonly network: string;
  private readonly bindHost: string;
  private readonly advertiseHost: string;
  private readonly stopTimeoutSec: number;
  private readonly restartPolicy: CreateContext['restartPolicy'];
  private readonly log: Logger;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker =
      options.docker ?? dockerClient(options.dockerHost ?? 'unix:///var/run/docker.sock');
    this.image = options.image ?? 'apogee/model-server:dev';
    this.network = options.network ?? 'host';
    this.bindHost = options.bindHost ?? '127.0.0.1';
    this.advertiseHost = options.advertiseHost ?? '127.0.0.1';
    this.stopTimeoutSec = options.stopTimeoutSec ?? 10;
    this.restartPolicy = options.restartPolicy ?? 'unless-stopped';
    this.log = (options.log ?? silentLogger).child({ runtime: 'docker' });
  }

  /** Throws `DockerUnavailable` unless the engine answers `/_ping`. */
  async ping(): Promise<void> {
    await this.call(() => this.docker.ping());
  }

  async start(spec: DeploymentSpec): Promise<RunningModel> {
    validateSpec(spec);
    await this.stop(spec.deploymentId);
    const image = spec.image ?? this.image;
    try {
      await this.call(() => this.docker.getImage(image).inspect());
    } catch (e) {
      if (statusCode(e) === 404)
        throw new RuntimeError('image_not_found', `Docker image ${image} not found`, { cause: e });
      throw e;
    }
    const known = await this.list();
    const hostPort =
      spec.port || (await allocatePort(this.bindHost, new Set(known.map((m) => m.port))));
    const options = buildCreateOptions(spec, {
      image,
      network: this.network,
      bindHost: this.bindHost,
      hostPort,
      restartPolicy: this.restartPolicy,
      startedAt: new Date().toISOString(),
    });
    const container = await this.call(() => this.docker.createContainer(options));
    try {
      await this.call(() => container.start());
    } catch (e) {
      await this.call(() => container.remove({ force: true })).catch((cleanup: unknown) =>
        this.log.error('could not remove a container that failed to start', {
          err: ensureError(cleanup),
          deployment: spec.deploymentId,
        }),
      );
      throw new RuntimeError(
        'start_failed',
        `Container of ${spec.deploymentId} did not start: ${ensureError(e).message}`,
        { cause: e },
      );
    }
    this.log.info('container started', {
      deployment: spec.deploymentId,
      id: container.id,
      port: hostPort,
    });
    return this.toModel(await this.call(() => container.inspect()));
  }

  async stop(deploymentId: string): Promise<boolean> {
    const containers = await this.find(deploymentId);
    for (const info of containers) {
      const container = this.docker.getContainer(info.Id);
      if (info.State === 'running' || info.State === 'restarting') {
        try {
          await this.call(() => container.stop({ t: this.stopTimeoutSec }));
        } catch (e) {
          // 304: already stopped; 404: removed meanwhile.
          if (statusCode(e) !== 304 && statusCode(e) !== 404) throw e;
        }
      }
      try {
        await this.call(() => container.remove({ force: true }));
      } catch (e) {
        if (statusCode(e) !== 404) throw e;
      }
      this.log.info('container removed', { deployment: deploymentId, id: info.Id });
    }
    return containers.length > 0;
  }

  async logs(deploymentId: string, lines: number): Promise<string[]> {
    const [info] = await this.find(deploymentId);
    if (!info) throw new DeploymentNotFound(deploymentId);
    if (lines <= 0) return [];
    const raw = await this.call(() =>
      this.docker
        .getContainer(info.Id)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false }),
    );
    const text = demuxDockerLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
    const out = text.split('\n');
    if (out.at(-1) === '') out.pop();
    return out.slice(-lines);
  }

  async list(): Promise<RunningModel[]> {
    const containers = await this.call(() =>
      this.docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } }),
    );
    return containers.map((c) => this.fromSummary(c));
  }

  async health(deploymentId: string): Promise<HealthReport> {
    const [info] = await this.find(deploymentId);
    if (!info) throw new DeploymentNotFound(deploymentId);
    const model = this.fromSummary(info);
    if (model.state !== 'running')
      return {
        deploymentId,
        state: model.state,
        healthy: false,
        error: `container is ${info.State}`,
      };
    const { reachable: _reachable, ...probe } = await probeHealth(deploymentId, model.url);
    return { ...probe, state: probe.healthy ? 'running' : 'starting' };
  }

  private async find(deploymentId: string): Promise<Docker.ContainerInfo[]> {
    return this.call(() =>
      this.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.managed}=true`, `${LABELS.deployment}=${deploymentId}`] },
      }),
    );
  }

  private fromSummary(c: Docker.ContainerInfo): RunningModel {
    const labels = c.Labels;
    const port = Number(labels[LABELS.port]);
    return {
      deploymentId: labels[LABELS.deployment] ?? '',
      runtime: 'docker',
      url: `http://${this.advertiseHost}:${port}`,
      port,
      state: stateOf(c.State),
      format: (labels[LABELS.format] ?? 'onnx') as ModelFormat,
      modelPath: labels[LABELS.modelPath] ?? '',
      startedAt: labels[LABELS.startedAt] ?? new Date(c.Created * 1000).toISOString(),
      containerId: c.Id,
    };
  }

  private toModel(c: Docker.ContainerInspectInfo): RunningModel {
    const labels = c.Config.Labels;
    const port = Number(labels[LABELS.port]);
    return {
      deploymentId: labels[LABELS.deployment] ?? '',
      runtime: 'docker',
      url: `http://${this.advertiseHost}:${port}`,
      port,
      state: stateOf(c.State.Status),
      format: (labels[LABELS.format] ?? 'onnx') as ModelFormat,
      modelPath: labels[LABELS.modelPath] ?? '',
      startedAt: labels[LABELS.startedAt] ?? c.Created,
      containerId: c.Id,
      ...(c.State.Running ? {} : { exitCode: c.State.ExitCode }),
    };
  }

  /** Runs a Docker call, turning "no engine on the socket" into `DockerUnavailable`. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const code = errnoCode(e);
      if (
        code === 'ENOENT' ||
        code === 'ECONNREFUSED' ||
        code === 'EACCES' ||
        code === 'ECONNRESET'
      )
        throw new DockerUnavailable(e);
      throw e;
    }
  }
}
