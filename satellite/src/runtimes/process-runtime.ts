import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeploymentNotFound, RuntimeError, ensureError, errnoCode } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { ModelFormat } from '../config/model-server.config.js';
import { tailFile, trimFile } from './logs.js';
import { allocatePort } from './ports.js';
import {
  probeHealth,
  validateSpec,
  type DeploymentSpec,
  type HealthReport,
  type RunningModel,
  type Runtime,
} from './runtime.js';

/** Options of {@link ProcessRuntime}. */
export interface ProcessRuntimeOptions {
  /** The satellite's data dir; state lives in `{dataDir}/process-runtime/{deploymentId}/`. */
  dataDir: string;
  /** Interface model servers bind. Default `127.0.0.1`. */
  bindHost?: string;
  /** Host used in deployment URLs. Default `127.0.0.1`. */
  advertiseHost?: string;
  /** Seconds between SIGTERM and SIGKILL. Default 10. */
  stopTimeoutSec?: number;
  /** Log file size trimmed back from, bytes. Default 10 MiB. */
  logMaxBytes?: number;
  /** Model server entry script. Default: `model-server/main.js` next to this module's build. */
  modelServerEntry?: string;
  /** Node binary. Default `process.execPath`. */
  nodePath?: string;
  /** Base environment of model servers. Default: this process's environment. */
  baseEnv?: Record<string, string | undefined>;
  log?: Logger;
}

/** What the state file of one deployment holds; enough to find the process after a restart. */
interface ProcessState {
  deploymentId: string;
  pid: number;
  port: number;
  url: string;
  format: ModelFormat;
  modelPath: string;
  startedAt: string;
}

const STATE_FILE = 'state.json';
const LOG_FILE = 'server.log';
const LOG_TRIM_INTERVAL_MS = 30_000;

/**
 * Runs each model server as a child process of its own process group, with its output in a log
 * file and a state file beside it, so that a restarted satellite finds, stops and reads the logs
 * of models started before. Process identity is checked against the `--deployment-id` in
 * `/proc/<pid>/cmdline`, so a recycled pid is never mistaken for a model.
 */
export class ProcessRuntime implements Runtime {
  readonly kind = 'process' as const;
  private readonly root: string;
  private readonly bindHost: string;
  private readonly advertiseHost: string;
  private readonly stopTimeoutMs: number;
  private readonly logMaxBytes: number;
  private readonly entry: string;
  private readonly nodePath: string;
  private readonly baseEnv: Record<string, string | undefined>;
  private readonly log: Logger;
  private readonly exitCodes = new Map<number, number | null>();
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(options: ProcessRuntimeOptions) {
    this.root = path.join(path.resolve(options.dataDir), 'process-runtime');
    this.bindHost = options.bindHost ?? '127.0.0.1';
    this.advertiseHost = options.advertiseHost ?? '127.0.0.1';
    this.stopTimeoutMs = (options.stopTimeoutSec ?? 10) * 1000;
    this.logMaxBytes = options.logMaxBytes ?? 10 * 1024 * 1024;
    this.entry =
      options.modelServerEntry ??
      fileURLToPath(new URL('../model-server/main.js', import.meta.url));
    this.nodePath = options.nodePath ?? process.execPath;
    this.baseEnv = options.baseEnv ?? { ...process.env };
    this.log = (options.log ?? silentLogger).child({ runtime: 'process' });
  }

  private dir(deploymentId: string): string {
    return path.join(this.root, deploymentId);
  }

  /** Path of a deployment's log file (its model server's stdout and stderr). */
  logFile(deploymentId: string): string {
    return path.join(this.dir(deploymentId), LOG_FILE);
  }

  async start(spec: DeploymentSpec): Promise<RunningModel> {
    validateSpec(spec);
    await this.stop(spec.deploymentId);
    const known = await this.list();
    const port =
      spec.port || (await allocatePort(this.bindHost, new Set(known.map((m) => m.port))));
    const dir = this.dir(spec.deploymentId);
    await mkdir(dir, { recursive: true });
    const logPath = path.join(dir, LOG_FILE);
    await rename(logPath, `${logPath}.1`).catch((e: unknown) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
    const args = [
      this.entry,
      '--model',
      path.resolve(spec.modelPath),
      '--format',
      spec.format,
      '--port',
      String(port),
      '--host',
      this.bindHost,
      '--deployment-id',
      spec.deploymentId,
      ...(spec.modelId ? ['--model-id', spec.modelId] : []),
      ...(spec.args ?? []),
    ];
    const env: Record<string, string | undefined> = { ...this.baseEnv, ...spec.env };
    if (spec.adapters?.length)
      env.APOGEE_LORA_ADAPTERS = JSON.stringify(
        spec.adapters.map((a) => ({ name: a.name, path: path.resolve(a.path) })),
      );
    const gpus = spec.resources?.gpus;
    if (gpus?.deviceIds?.length) env.CUDA_VISIBLE_DEVICES = gpus.deviceIds.join(',');
    if (spec.resources?.memoryBytes || spec.resources?.cpus) {
      this.log.warn('the process runtime does not enforce memory or CPU limits', {
        deployment: spec.deploymentId,
      });
    }
    // O_APPEND: trimming the file from here never leaves the writer past its end.
    const fd = openSync(logPath, 'a');
    let pid: number;
    try {
      const child = spawn(this.nodePath, args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        env,
        cwd: dir,
      });
      if (child.pid === undefined) {
        const error = await new Promise<Error>((resolve) => child.once('error', resolve));
        throw new RuntimeError(
          'start_failed',
          `Could not start the model server: ${error.message}`,
          { cause: error },
        );
      }
      pid = child.pid;
      child.once('exit', (code, signal) => {
        this.exitCodes.set(pid, code ?? (signal ? null : 0));
        this.log.info('model server exited', { deployment: spec.deploymentId, pid, code, signal });
      });
      child.unref();
    } finally {
      closeSync(fd);
    }
    const state: ProcessState = {
      deploymentId: spec.deploymentId,
      pid,
      port,
      url: `http://${this.advertiseHost}:${port}`,
      format: spec.format,
      modelPath: path.resolve(spec.modelPath),
      startedAt: new Date().toISOString(),
    };
    await writeFile(path.join(dir, STATE_FILE), JSON.stringify(state, null, 2));
    this.log.info('model server started', { deployment: spec.deploymentId, pid, port });
    this.ensureTrimTimer();
    return this.toModel(state);
  }

  async stop(deploymentId: string): Promise<boolean> {
    const state = await this.readState(deploymentId);
    if (!state) return false;
    if (this.isAlive(state)) {
      this.signal(state.pid, 'SIGTERM');
      const deadline = Date.now() + this.stopTimeoutMs;
      while (this.isAlive(state) && Date.now() < deadline) await sleep(50);
      if (this.isAlive(state)) {
        this.log.warn('model server ignored SIGTERM, killing it', {
          deployment: deploymentId,
          pid: state.pid,
        });
        this.signal(state.pid, 'SIGKILL');
        const killDeadline = Date.now() + 5000;
        while (this.isAlive(state) && Date.now() < killDeadline) await sleep(50);
        if (this.isAlive(state))
          throw new RuntimeError(
            'stop_failed',
            `Process ${state.pid} of ${deploymentId} survived SIGKILL`,
          );
      }
    }
    await rm(this.dir(deploymentId), { recursive: true, force: true });
    this.log.info('model server stopped', { deployment: deploymentId, pid: state.pid });
    return true;
  }

  async logs(deploymentId: string, lines: number): Promise<string[]> {
    const state = await this.readState(deploymentId);
    if (!state) throw new DeploymentNotFound(deploymentId);
    return tailFile(this.logFile(deploymentId), lines);
  }

  async list(): Promise<RunningModel[]> {
    let ids: string[];
    try {
      ids = await readdir(this.root);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
    const models: RunningModel[] = [];
    for (const id of ids) {
      const state = await this.readState(id);
      if (state) models.push(this.toModel(state));
    }
    return models;
  }

  async health(deploymentId: string): Promise<HealthReport> {
    const state = await this.readState(deploymentId);
    if (!state) throw new DeploymentNotFound(deploymentId);
    if (!this.isAlive(state))
      return { deploymentId, state: 'exited', healthy: false, error: 'process exited' };
    const { reachable: _reachable, ...probe } = await probeHealth(deploymentId, state.url);
    return { ...probe, state: probe.healthy ? 'running' : 'starting' };
  }

  /** Stops the log-trimming timer. Running models are left alone (they outlive the satellite). */
  close(): void {
    if (this.trimTimer) clearInterval(this.trimTimer);
    this.trimTimer = undefined;
  }

  /** Trims every deployment's log file back under the size limit. */
  async trimLogs(): Promise<void> {
    for (const model of await this.list()) {
      await trimFile(this.logFile(model.deploymentId), this.logMaxBytes);
    }
  }

  private ensureTrimTimer(): void {
    if (this.trimTimer) return;
    this.trimTimer = setInterval(() => {
      this.trimLogs().catch((e: unknown) =>
        this.log.error('log trimming failed', { err: ensureError(e) }),
      );
    }, LOG_TRIM_INTERVAL_MS);
    this.trimTimer.unref();
  }

  private toModel(state: ProcessState): RunningModel {
    const alive = this.isAlive(state);
    return {
      deploymentId: state.deploymentId,
      runtime: 'process',
      url: state.url,
      port: state.port,
      state: alive ? 'running' : 'exited',
      format: state.format,
      modelPath: state.modelPath,
      startedAt: state.startedAt,
      pid: state.pid,
      ...(alive ? {} : { exitCode: this.exitCodes.get(state.pid) ?? null }),
    };
  }

  private async readState(deploymentId: string): Promise<ProcessState | undefined> {
    let text: string;
    try {
      text = await readFile(path.join(this.dir(deploymentId), STATE_FILE), 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as ProcessState;
    } catch (e) {
      throw new RuntimeError(
        'corrupt_state',
        `State file of ${deploymentId} is not valid JSON: ${ensureError(e).message}`,
      );
    }
  }

  /** True when `state.pid` runs and is the model server of this deployment (not a recycled pid). */
  private isAlive(state: ProcessState): boolean {
    try {
      process.kill(state.pid, 0);
    } catch (e) {
      if (errnoCode(e) === 'ESRCH') return false;
      if (errnoCode(e) !== 'EPERM') throw e;
    }
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${state.pid}/cmdline`, 'utf8');
      stat = readFileSync(`/proc/${state.pid}/stat`, 'utf8');
    } catch (e) {
      // Without /proc (not Linux) the signal check above is all there is.
      if (errnoCode(e) === 'ENOENT' && !procAvailable()) return true;
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
    // Field 3 of /proc/<pid>/stat is the state; Z (zombie) and X (dead) are not running.
    const procState = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (procState === 'Z' || procState === 'X') return false;
    const args = cmdline.split('\0');
    const i = args.indexOf('--deployment-id');
    return i >= 0 && args[i + 1] === state.deploymentId;
  }

  private signal(pid: number, signal: NodeJS.Signals): void {
    try {
      // The model server leads its own process group (detached): signal the whole group.
      process.kill(-pid, signal);
    } catch (e) {
      if (errnoCode(e) !== 'ESRCH') throw e;
      try {
        process.kill(pid, signal);
      } catch (inner) {
        if (errnoCode(inner) !== 'ESRCH') throw inner;
      }
    }
  }
}

function procAvailable(): boolean {
  return existsSync('/proc/self/stat');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
