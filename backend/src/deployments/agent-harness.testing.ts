import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Test helpers that run the real satellite agent (`satellite/dist/cli.js`) against a test app. */

export const SATELLITE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'satellite',
);

/** Builds `satellite/dist` when its sources changed (the satellite's own helper, shared lock). */
export async function ensureSatelliteBuilt(): Promise<void> {
  const helper = path.join(SATELLITE_DIR, 'src', 'testing', 'build.ts');
  const mod = (await import(/* @vite-ignore */ helper)) as {
    ensureSatelliteBuilt(): Promise<void>;
  };
  await mod.ensureSatelliteBuilt();
}

export interface SatelliteModels {
  writeTinyOnnx(path: string, kind?: 'linear' | 'multi-io'): Promise<void>;
  encodeTinyOnnx(kind: 'linear' | 'multi-io'): Uint8Array;
  tinyLinearReference(x: readonly (readonly number[])[]): number[][];
}

/** The tiny model generators (`@apogee/satellite/testing`). */
export async function satelliteModels(): Promise<SatelliteModels> {
  return (await import(
    /* @vite-ignore */ path.join(SATELLITE_DIR, 'dist', 'testing', 'models.js')
  )) as SatelliteModels;
}

export interface AgentProcess {
  proc: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `apogee-satellite` as a child process (process runtime, fast heartbeats, short leases). */
export function startAgent(opts: {
  apiUrl: string;
  key: string;
  dataDir: string;
  env?: Record<string, string>;
}): AgentProcess {
  const proc = spawn(process.execPath, [path.join(SATELLITE_DIR, 'dist', 'cli.js')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APOGEE_URL: opts.apiUrl,
      APOGEE_SATELLITE_KEY: opts.key,
      APOGEE_SATELLITE_RUNTIME: 'process',
      APOGEE_SATELLITE_HOST: '127.0.0.1',
      APOGEE_SATELLITE_PORT: '0',
      APOGEE_SATELLITE_DATA_DIR: opts.dataDir,
      APOGEE_HEARTBEAT_INTERVAL: '500',
      APOGEE_TASK_LEASE: '3000',
      APOGEE_CLAIM_WAIT: '10000',
      APOGEE_BACKOFF_MIN: '100',
      APOGEE_BACKOFF_MAX: '1000',
      APOGEE_HEALTH_TIMEOUT: '30000',
      APOGEE_DRAIN_TIMEOUT: '5000',
      APOGEE_STOP_TIMEOUT: '3',
      APOGEE_ONNX_THREADS: '1',
      APOGEE_LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (b: Buffer) => output.push(...b.toString('utf8').split('\n').filter(Boolean));
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  return {
    proc,
    output,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Pids of running model servers of a deployment (their command line names it). */
export function modelServerPids(deploymentId: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      const i = args.indexOf('--deployment-id');
      if (i >= 0 && args[i + 1] === deploymentId && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** A TCP forwarder on a fixed port: lets a client keep one URL while the server behind it restarts on another port. */
export async function tcpForwarder(
  targetPort: number,
): Promise<{ port: number; retarget(port: number): void; close(): Promise<void> }> {
  let target = targetPort;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    retarget(port: number) {
      target = port;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Polls `fn` until it returns a truthy value, or throws after `timeoutMs` with the last value. */
export async function waitFor<T>(
  fn: () => Promise<T>,
  timeoutMs = 30_000,
  what = 'condition',
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
