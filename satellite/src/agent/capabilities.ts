import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import type { Capabilities } from './platform-client.js';

const run = promisify(execFile);

/** GPUs reported by `nvidia-smi`; none when it is missing or fails. */
export async function detectGpus(): Promise<Capabilities['gpus']> {
  try {
    const { stdout } = await run(
      'nvidia-smi',
      ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'],
      { timeout: 5_000 },
    );
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const i = l.lastIndexOf(',');
        return {
          model: l.slice(0, i).trim(),
          memoryMb: Math.round(Number(l.slice(i + 1).trim())) || 0,
        };
      });
  } catch {
    // No NVIDIA driver on this host: it serves on CPU.
    return [];
  }
}

/** Free disk where models are cached, MiB. */
export async function freeDiskMb(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return Math.floor((s.bavail * s.bsize) / (1024 * 1024));
  } catch {
    return undefined;
  }
}

/** What this host offers, as sent when pairing. */
export async function detectCapabilities(opts: {
  runtime: 'docker' | 'process';
  cacheDir: string;
  concurrency: number;
}): Promise<Capabilities> {
  const [gpus, diskFreeMb] = await Promise.all([detectGpus(), freeDiskMb(opts.cacheDir)]);
  return {
    runtimes: [opts.runtime],
    gpus,
    cpus: os.availableParallelism(),
    memoryMb: Math.round(os.totalmem() / (1024 * 1024)),
    ...(diskFreeMb !== undefined ? { diskFreeMb } : {}),
    formats: ['onnx', 'gguf'],
    taskTypes: ['deploy', 'undeploy', 'load_model'],
    maxConcurrency: opts.concurrency,
  };
}
