import { readFileSync } from 'node:fs';
import {
  DeploymentUnhealthy,
  RuntimeError,
  SatelliteError,
  ensureError,
} from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { MODEL_FORMATS, type ModelFormat } from '../config/model-server.config.js';
import {
  DockerRuntime,
  ProcessRuntime,
  dockerClient,
  waitForHealthy,
  type ResourceLimits,
  type Runtime,
} from '../runtimes/index.js';
import { advertisedBaseUrl, type AgentConfig } from './agent.config.js';
import { ArtifactCache, ArtifactDownloadFailed } from './artifact-cache.js';
import { Authorizer } from './authorizer.js';
import { Backoff, sleep } from './backoff.js';
import { detectCapabilities } from './capabilities.js';
import { Gateway } from './gateway.js';
import { LoadRejected, ModelLoader, readLoaderConfig } from './loader.js';
import {
  PlatformClient,
  PlatformError,
  isTransient,
  type ClaimedTask,
  type DeploymentHealth,
  type DeploymentSpec,
  type WantedDeployment,
} from './platform-client.js';

/** The version sent when pairing. */
export const AGENT_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The API no longer lets this satellite work on the task (its lease was handed on). */
class LeaseLost extends SatelliteError {
  constructor(id: string) {
    super('lease_lost', `The lease of task ${id} was lost`);
  }
}

class TaskTimedOut extends SatelliteError {
  constructor(id: string, ms: number) {
    super('task_timeout', `Task ${id} did not finish within ${ms} ms`);
  }
}

class AgentStopping extends SatelliteError {
  constructor() {
    super('agent_stopping', 'The satellite is shutting down');
  }
}

interface TaskContext {
  signal: AbortSignal;
  progress(message: string): void;
}

interface RunningTask {
  task: ClaimedTask;
  controller: AbortController;
}

export interface AgentDeps {
  /** Runtime to use instead of choosing one from the configuration. */
  runtime?: Runtime;
  client?: PlatformClient;
  log?: Logger;
}

/** Picks Docker when an engine answers (and has the model-server image, under `auto`), else the process runtime. */
export async function chooseRuntime(config: AgentConfig, log: Logger): Promise<Runtime> {
  const r = config.runtimes;
  // Model servers inherit the environment, but never the satellite's own key.
  const { APOGEE_SATELLITE_KEY: _key, ...baseEnv } = process.env;
  const processRuntime = () =>
    new ProcessRuntime({
      dataDir: r.dataDir,
      bindHost: r.modelBindHost,
      advertiseHost: r.modelAdvertiseHost,
      stopTimeoutSec: r.stopTimeoutSec,
      logMaxBytes: r.logMaxBytes,
      baseEnv,
      log,
    });
  if (config.runtime === 'process') return processRuntime();
  const docker = new DockerRuntime({
    dockerHost: r.dockerHost,
    image: r.modelServerImage,
    network: r.dockerNetwork,
    bindHost: r.modelBindHost,
    advertiseHost: r.modelAdvertiseHost,
    stopTimeoutSec: r.stopTimeoutSec,
    restartPolicy: r.dockerRestartPolicy,
    log,
  });
  try {
    await docker.ping();
  } catch (e) {
    if (config.runtime === 'docker') throw e;
    log.info('no Docker engine answers; using the process runtime', {
      reason: ensureError(e).message,
    });
    return processRuntime();
  }
  if (config.runtime === 'auto') {
    try {
      await dockerClient(r.dockerHost).getImage(r.modelServerImage).inspect();
    } catch (e) {
      log.warn(
        'Docker answers but has no model-server image; using the process runtime (build it with satellite/scripts/build-image.sh)',
        {
          image: r.modelServerImage,
          reason: ensureError(e).message,
        },
      );
      return processRuntime();
    }
  }
  return docker;
}

/**
 * The satellite agent: pairs with the platform, serves inference through its gateway, claims
 * tasks in `concurrency` slots (each with its own AbortController, timeout and lease heartbeat),
 * heartbeats deployment health with log tails, and reconciles the models it runs against the
 * deployments the platform wants. While the API is unreachable it backs off with jitter and keeps
 * serving the models that run. `stop()` drains; `stop({ force: true })` aborts running tasks.
 */
export class SatelliteAgent {
  readonly client: PlatformClient;
  readonly log: Logger;
  private runtime: Runtime | null;
  private readonly cache: ArtifactCache;
  private readonly gateway: Gateway;
  private readonly authorizer: Authorizer;
  private readonly loader: ModelLoader;
  private readonly stopController = new AbortController();
  private readonly running = new Map<string, RunningTask>();
  /** Model-server URL per deployment running here. */
  private readonly targets = new Map<string, string>();
  /** Deployments being (re)started outside a task (restored at start). */
  private readonly restoring = new Set<string>();
  private wanted: WantedDeployment[] = [];
  private loops: Promise<void>[] = [];
  private heartbeatLoop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** URL of the gateway as announced to the platform. */
  baseUrl = '';

  constructor(
    readonly config: AgentConfig,
    deps: AgentDeps = {},
  ) {
    this.log =
      deps.log ?? createLogger({ level: config.logLevel, base: { component: 'satellite' } });
    this.client = deps.client ?? new PlatformClient(config.apiUrl, config.key);
    this.runtime = deps.runtime ?? null;
    this.cache = new ArtifactCache(config.cacheDir);
    this.authorizer = new Authorizer(this.client, config.authCacheTtlMs);
    this.loader = new ModelLoader(
      this.client,
      config.loader ??
        readLoaderConfig({ APOGEE_TASK_LEASE: String(config.leaseMs) }, config.runtimes.dataDir),
      this.log,
    );
    this.gateway = new Gateway({
      host: config.gatewayHost,
      port: config.gatewayPort,
      log: this.log,
      authorize: (token, id) => this.authorizer.allowed(token, id),
      target: (id) => this.targets.get(id) ?? null,
      status: () => ({
        deployments: this.targets.size,
        runningTasks: this.running.size,
        runtime: this.runtime?.kind ?? null,
      }),
    });
  }

  private get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }

  /** The runtime in use (after start). */
  get activeRuntime(): Runtime {
    if (!this.runtime) throw new SatelliteError('not_started', 'The agent has not started');
    return this.runtime;
  }

  /** Starts everything; resolves once paired and the claim loops run. */
  async start(): Promise<void> {
    this.runtime ??= await chooseRuntime(this.config, this.log);
    const port = await this.gateway.start();
    this.baseUrl = advertisedBaseUrl(this.config, port);
    await this.pair();
    if (this.stopSignal.aborted) return;
    await this.refreshTargets();
    await this.reconcileAtStart();
    this.heartbeatLoop = this.runHeartbeats();
    this.loops = Array.from({ length: this.config.concurrency }, (_, i) => this.claimLoop(i));
    this.log.info('satellite ready', {
      baseUrl: this.baseUrl,
      runtime: this.activeRuntime.kind,
      slots: this.config.concurrency,
      api: this.config.apiUrl,
    });
  }

  /** Pairs, retrying with jittered backoff while the API is unreachable. */
  private async pair(): Promise<void> {
    const backoff = new Backoff(this.config.backoffMinMs, this.config.backoffMaxMs);
    const capabilities = await detectCapabilities({
      runtime: this.activeRuntime.kind,
      cacheDir: this.config.cacheDir,
      concurrency: this.config.concurrency,
    });
    while (!this.stopSignal.aborted) {
      try {
        const me = await this.client.pair({
          baseUrl: this.baseUrl,
          version: AGENT_VERSION,
          capabilities,
        });
        this.log.info('paired', {
          satellite: me.id,
          name: me.name,
          orbit: me.orbitId,
          gpus: capabilities.gpus.length,
        });
        return;
      } catch (e) {
        if (!isTransient(e)) throw e;
        const wait = backoff.next();
        this.log.warn('cannot reach the API to pair; retrying', {
          retryInMs: Math.round(wait),
          reason: ensureError(e).message,
        });
        await sleep(wait, this.stopSignal);
      }
    }
  }

  /**
   * Stops claiming, lets running tasks finish for up to the drain timeout (at once with `force`),
   * then aborts what is left. Models keep running: a restarted agent adopts them.
   */
  stop(opts: { force?: boolean } = {}): Promise<void> {
    if (opts.force) for (const r of this.running.values()) r.controller.abort(new AgentStopping());
    this.stopping ??= (async () => {
      this.stopController.abort(new AgentStopping());
      const drained = Promise.all(this.loops);
      const timer = new Promise<'timeout'>((r) =>
        setTimeout(() => r('timeout'), this.config.drainTimeoutMs).unref(),
      );
      if ((await Promise.race([drained.then(() => 'done' as const), timer])) === 'timeout') {
        this.log.warn('drain timeout: aborting running tasks', { tasks: [...this.running.keys()] });
        for (const r of this.running.values()) r.controller.abort(new AgentStopping());
        await drained;
      }
      await this.heartbeatLoop;
      await this.gateway.close();
      if (this.runtime instanceof ProcessRuntime) this.runtime.close();
      this.log.info('satellite stopped');
    })();
    return this.stopping;
  }

  /* ---------------- claim loop ---------------- */

  private async claimLoop(slot: number): Promise<void> {
    const backoff = new Backoff(this.config.backoffMinMs, this.config.backoffMaxMs);
    while (!this.stopSignal.aborted) {
      let task: ClaimedTask | null;
      try {
        task = await this.client.claim(
          this.config.claimWaitMs,
          this.config.leaseMs,
          this.stopSignal,
        );
        backoff.reset();
      } catch (e) {
        if (this.stopSignal.aborted) break;
        const wait = backoff.next();
        const err = ensureError(e);
        if (isTransient(e))
          this.log.warn('API unreachable; models keep serving', {
            slot,
            retryInMs: Math.round(wait),
            reason: err.message,
          });
        else this.log.error('claim failed', { slot, retryInMs: Math.round(wait), err });
        await sleep(wait, this.stopSignal);
        continue;
      }
      if (task) await this.runTask(task);
    }
  }

  private async runTask(task: ClaimedTask): Promise<void> {
    const controller = new AbortController();
    this.running.set(task.id, { task, controller });
    const log = this.log.child({
      task: task.id,
      type: task.type,
      deployment: task.deploymentId,
      attempt: task.attempt,
    });
    log.info('task claimed');
    let progress: string | undefined;
    const timeout = setTimeout(
      () => controller.abort(new TaskTimedOut(task.id, this.config.taskTimeoutMs)),
      this.config.taskTimeoutMs,
    );
    const beat = setInterval(
      () => {
        this.client.taskHeartbeat(task.id, this.config.leaseMs, progress).catch((e: unknown) => {
          if (e instanceof PlatformError && (e.status === 409 || e.status === 404))
            controller.abort(new LeaseLost(task.id));
          else
            log.warn('task heartbeat failed; the lease may still hold', {
              reason: ensureError(e).message,
            });
        });
      },
      Math.max(250, Math.floor(this.config.leaseMs / 3)),
    );
    const ctx: TaskContext = { signal: controller.signal, progress: (m) => (progress = m) };
    try {
      const result = await this.handle(task, ctx);
      controller.signal.throwIfAborted();
      await this.settle(log, () => this.client.complete(task.id, result));
      log.info('task succeeded');
    } catch (e) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : e;
      if (reason instanceof LeaseLost) {
        log.warn('lease lost; another attempt owns the task now');
        return;
      }
      const err = ensureError(e);
      const retryable = isRetryable(reason instanceof Error ? reason : err);
      const logs = err instanceof DeploymentUnhealthy ? err.lastLogLines : undefined;
      const message =
        reason instanceof AgentStopping || reason instanceof TaskTimedOut
          ? (reason as Error).message
          : err.message;
      log.warn('task failed', { retryable, reason: message });
      await this.settle(log, () =>
        this.client.fail(task.id, message, retryable, logs ? { logs } : undefined),
      );
    } finally {
      clearTimeout(timeout);
      clearInterval(beat);
      this.running.delete(task.id);
    }
  }

  /** Reports a task's outcome, retrying while the API is unreachable (the lease bounds how long that is worth it). */
  private async settle(log: Logger, send: () => Promise<unknown>): Promise<void> {
    const backoff = new Backoff(this.config.backoffMinMs, this.config.backoffMaxMs);
    const deadline = Date.now() + this.config.leaseMs * 2;
    for (;;) {
      try {
        await send();
        return;
      } catch (e) {
        if (!isTransient(e) || Date.now() > deadline) {
          log.warn(
            'could not report the task outcome; its lease will expire and it will run again',
            { reason: ensureError(e).message },
          );
          return;
        }
        await sleep(backoff.next());
      }
    }
  }

  private async handle(task: ClaimedTask, ctx: TaskContext): Promise<Record<string, unknown>> {
    const deploymentId =
      task.deploymentId ??
      (typeof task.payload.deploymentId === 'string' ? task.payload.deploymentId : null);
    switch (task.type) {
      case 'deploy': {
        if (!deploymentId)
          throw new SatelliteError('invalid_task', 'deploy task without a deployment');
        const started = await this.startModel(deploymentId, ctx);
        return {
          inferenceUrl: `${this.baseUrl}/deployments/${deploymentId}`,
          runtime: this.activeRuntime.kind,
          schema: started.schema,
          modelUrl: started.url,
        };
      }
      case 'undeploy': {
        if (!deploymentId)
          throw new SatelliteError('invalid_task', 'undeploy task without a deployment');
        const removed = await this.activeRuntime.stop(deploymentId);
        this.targets.delete(deploymentId);
        return { removed };
      }
      case 'load_model':
        return this.loader.run(task, ctx.signal, ctx.progress);
    }
  }

  /** Download (cached by sha256) → start → /healthz → /schema, reporting each phase. */
  private async startModel(
    deploymentId: string,
    ctx: TaskContext,
  ): Promise<{ url: string; schema: unknown }> {
    const runtime = this.activeRuntime;
    const spec = await this.client.spec(deploymentId);
    if (!(MODEL_FORMATS as readonly string[]).includes(spec.format)) {
      throw new RuntimeError('invalid_spec', `This satellite cannot serve ${spec.format} models`);
    }
    ctx.progress('fetching the artifact');
    const art = await this.client.artifactUrl(deploymentId);
    const file = await this.cache.ensure(art, {
      signal: ctx.signal,
      onProgress: (got, total) => ctx.progress(`downloaded ${mib(got)}/${mib(total)} MiB`),
    });
    const adapters = [];
    for (const a of art.adapters ?? []) {
      ctx.progress(`fetching the adapter ${a.name}`);
      const got = await this.cache.ensure({ ...a, format: 'gguf' }, { signal: ctx.signal });
      adapters.push({ name: a.name, path: got.path });
    }
    await this.reportPhase(deploymentId, { phase: 'downloaded' });
    const secrets = spec.secretEnv.length ? (await this.client.secrets(deploymentId)).env : {};
    ctx.signal.throwIfAborted();
    ctx.progress('starting the model server');
    const model = await runtime.start({
      deploymentId,
      modelPath: file.path,
      format: spec.format as ModelFormat,
      modelId: spec.name,
      env: { ...secrets, ...spec.env },
      ...(adapters.length ? { adapters } : {}),
      resources: limits(spec),
    });
    this.targets.set(deploymentId, model.url);
    await this.reportPhase(deploymentId, { phase: 'started', runtime: runtime.kind });
    ctx.progress('waiting for /healthz');
    try {
      await waitForHealthy(runtime, deploymentId, {
        timeoutMs: this.config.healthTimeoutMs,
        intervalMs: 50,
        signal: ctx.signal,
        logLines: this.config.logTailLines,
      });
    } catch (e) {
      // Nothing half-started stays behind: the next attempt (or nobody) starts it again.
      this.targets.delete(deploymentId);
      await runtime.stop(deploymentId).catch((stopErr: unknown) =>
        this.log.warn('could not remove a failed model', {
          deployment: deploymentId,
          reason: ensureError(stopErr).message,
        }),
      );
      throw e;
    }
    const schema = await fetch(`${model.url}/schema`, { signal: AbortSignal.timeout(5_000) })
      .then((r) => (r.ok ? (r.json() as Promise<unknown>) : null))
      .catch(() => null);
    const logs = await runtime.logs(deploymentId, this.config.logTailLines).catch(() => undefined);
    await this.reportPhase(deploymentId, { phase: 'healthy', ...(logs ? { logs } : {}) });
    return { url: model.url, schema };
  }

  private async reportPhase(
    deploymentId: string,
    body: Parameters<PlatformClient['report']>[1],
  ): Promise<void> {
    try {
      await this.client.report(deploymentId, { at: new Date().toISOString(), ...body });
    } catch (e) {
      // The waterfall misses a point; the deploy itself goes on.
      this.log.warn('could not report a deployment phase', {
        deployment: deploymentId,
        reason: ensureError(e).message,
      });
    }
  }

  /* ---------------- heartbeats and reconciliation ---------------- */

  private async refreshTargets(): Promise<void> {
    for (const m of await this.activeRuntime.list())
      if (m.state !== 'exited') this.targets.set(m.deploymentId, m.url);
  }

  /** Deployments handled right now by a task or a restore: reconciliation leaves them alone. */
  private busy(id: string): boolean {
    if (this.restoring.has(id)) return true;
    for (const r of this.running.values())
      if (r.task.deploymentId === id || r.task.payload.deploymentId === id) return true;
    return false;
  }

  /**
   * At start: models the platform no longer wants (or does not know, e.g. force-deleted) are
   * removed; active deployments whose model is not running here are started again.
   */
  private async reconcileAtStart(): Promise<void> {
    const backoff = new Backoff(this.config.backoffMinMs, this.config.backoffMaxMs);
    let wanted: WantedDeployment[] | null = null;
    while (!wanted && !this.stopSignal.aborted) {
      try {
        wanted = await this.client.deployments();
      } catch (e) {
        if (!isTransient(e)) throw e;
        await sleep(backoff.next(), this.stopSignal);
      }
    }
    if (!wanted) return;
    this.wanted = wanted;
    await this.removeUnwanted(wanted);
    const models = await this.activeRuntime.list();
    for (const w of wanted) {
      if (w.status !== 'active' && w.status !== 'not_responding') continue;
      const m = models.find((x) => x.deploymentId === w.id);
      if (m && m.state !== 'exited') continue;
      this.restoring.add(w.id);
      this.log.info('restarting a deployment that is not running here', { deployment: w.id });
      const controller = new AbortController();
      this.startModel(w.id, {
        signal: AbortSignal.any([controller.signal, this.stopSignal]),
        progress: () => undefined,
      })
        .catch((e: unknown) =>
          this.log.error('could not restart a deployment', {
            deployment: w.id,
            err: ensureError(e),
          }),
        )
        .finally(() => this.restoring.delete(w.id));
    }
  }

  private async removeUnwanted(wanted: WantedDeployment[]): Promise<void> {
    for (const m of await this.activeRuntime.list()) {
      if (!UUID.test(m.deploymentId) || this.busy(m.deploymentId)) continue;
      const w = wanted.find((x) => x.id === m.deploymentId);
      if (w?.wanted) continue;
      this.log.info('removing a model the platform does not want', {
        deployment: m.deploymentId,
        status: w?.status ?? 'unknown',
      });
      await this.activeRuntime.stop(m.deploymentId);
      this.targets.delete(m.deploymentId);
    }
  }

  private async runHeartbeats(): Promise<void> {
    while (!this.stopSignal.aborted) {
      try {
        await this.heartbeat();
      } catch (e) {
        this.log.warn('heartbeat failed', { reason: ensureError(e).message });
      }
      await sleep(this.config.heartbeatIntervalMs, this.stopSignal);
    }
  }

  /** One heartbeat: health and log tail of every model here, plus deployments that should run but do not. */
  async heartbeat(): Promise<void> {
    const runtime = this.activeRuntime;
    const models = (await runtime.list()).filter((m) => UUID.test(m.deploymentId));
    const reports: DeploymentHealth[] = await Promise.all(
      models.map(async (m) => {
        const h = await runtime.health(m.deploymentId).catch((e: unknown) => ({
          healthy: false,
          state: 'exited' as const,
          error: ensureError(e).message,
        }));
        const logs = this.config.logTailLines
          ? await runtime.logs(m.deploymentId, this.config.logTailLines).catch(() => undefined)
          : undefined;
        if (h.state !== 'exited') this.targets.set(m.deploymentId, m.url);
        return {
          id: m.deploymentId,
          healthy: h.healthy,
          state: h.state,
          ...(h.error ? { error: h.error.slice(0, 4000) } : {}),
          ...(logs ? { logs: logs.map((l) => l.slice(0, 4000)) } : {}),
        };
      }),
    );
    for (const w of this.wanted) {
      if (
        (w.status === 'active' || w.status === 'not_responding') &&
        !models.some((m) => m.deploymentId === w.id) &&
        !this.busy(w.id)
      ) {
        reports.push({
          id: w.id,
          healthy: false,
          state: 'absent',
          error: 'not running on the satellite',
        });
      }
    }
    const answer = await this.client.heartbeat(reports);
    this.wanted = answer.deployments;
    await this.removeUnwanted(answer.deployments);
  }
}

function isRetryable(e: Error): boolean {
  if (e instanceof LoadRejected) return false;
  if (e instanceof DeploymentUnhealthy) return false;
  if (e instanceof ArtifactDownloadFailed) return e.retryable;
  if (e instanceof RuntimeError && e.code === 'invalid_spec') return false;
  if (e instanceof PlatformError) return e.transient;
  if (e instanceof SatelliteError && (e.code === 'invalid_task' || e.code === 'unsupported_task'))
    return false;
  return true;
}

function limits(spec: DeploymentSpec): ResourceLimits | undefined {
  const r = spec.resources;
  if (!r.gpus && !r.memoryMb && !r.cpus) return undefined;
  return {
    ...(r.memoryMb ? { memoryBytes: r.memoryMb * 1024 * 1024 } : {}),
    ...(r.cpus ? { cpus: r.cpus } : {}),
    ...(r.gpus ? { gpus: { count: r.gpus } } : {}),
  };
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
