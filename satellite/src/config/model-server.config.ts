import path from 'node:path';
import { ConfigError } from '../common/errors.js';
import type { LogLevel } from '../common/logger.js';
import { int, num, oneOf, str, type RawEnv } from './parse.js';

/** Model formats the model server can serve. */
export const MODEL_FORMATS = ['onnx', 'gguf'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** Which llama.cpp backend node-llama-cpp may use: `auto` picks CUDA/Vulkan when present, else CPU. */
export type LlamaGpu = 'auto' | 'cuda' | 'vulkan' | 'cpu';

/**
 * Configuration of one model server process. Each field is read from a CLI flag, else from the
 * environment variable named in its doc, else its default.
 */
export interface ModelServerConfig {
  /** `--model` / `APOGEE_MODEL_PATH` — the model file. Required. */
  modelPath: string;
  /** `--format` / `APOGEE_MODEL_FORMAT` — `onnx` or `gguf`. Default: from the file extension. */
  format: ModelFormat;
  /** `--model-id` / `APOGEE_MODEL_ID` — the id served in `/v1/models` and responses. Default: the file name without extension. */
  modelId: string;
  /** `--deployment-id` / `APOGEE_DEPLOYMENT_ID` — the deployment this server belongs to (logged; marks the process). Default none. */
  deploymentId: string | null;
  /** `--host` / `APOGEE_MODEL_SERVER_HOST` — interface to bind. Default `127.0.0.1`. */
  host: string;
  /** `--port` / `APOGEE_MODEL_SERVER_PORT` — TCP port; 0 picks a free one. Default 8080. */
  port: number;
  /** `--log-level` / `APOGEE_LOG_LEVEL` — `debug`, `info`, `warn` or `error`. Default `info`. */
  logLevel: LogLevel;
  /** `APOGEE_MAX_BODY_BYTES` — largest accepted request body, bytes. Default 33554432 (32 MiB). */
  maxBodyBytes: number;
  /** `--context-size` / `APOGEE_LLAMA_CONTEXT_SIZE` — GGUF context per sequence, tokens; 0 means the model's training size capped at 4096. Default 0. */
  llamaContextSize: number;
  /** `--parallel` / `APOGEE_LLAMA_PARALLEL` — GGUF generations run at once (context sequences); more requests wait. Default 1. */
  llamaParallel: number;
  /** `--gpu` / `APOGEE_LLAMA_GPU` — llama.cpp backend: `auto`, `cuda`, `vulkan` or `cpu`. Default `auto`. */
  llamaGpu: LlamaGpu;
  /** `--threads` / `APOGEE_LLAMA_THREADS` — CPU threads llama.cpp uses per context; 0 = node-llama-cpp's default (the CPU's math cores). Default 0. Use 1 for tiny models on busy hosts: idle threads spin-wait. */
  llamaThreads: number;
  /** `--gpu-layers` / `APOGEE_LLAMA_GPU_LAYERS` — layers to offload to the GPU; -1 lets node-llama-cpp decide. Default -1. */
  llamaGpuLayers: number;
  /** `APOGEE_DEFAULT_MAX_TOKENS` — tokens generated when a request sets no limit. Default 512. */
  defaultMaxTokens: number;
  /** `APOGEE_DEFAULT_TEMPERATURE` — sampling temperature when a request sets none (0 = greedy). Default 1, as OpenAI. */
  defaultTemperature: number;
  /** `APOGEE_ONNX_THREADS` — onnxruntime intra-op threads; 0 lets onnxruntime decide. Default 0. */
  onnxThreads: number;
  /**
   * `APOGEE_LORA_ADAPTERS` — JSON `[{ "name": "ft:base:x", "path": "/models/a.gguf", "scale"?: 1 }]`:
   * GGUF LoRA adapters (GGUF models only), each served as one more model id; a request whose
   * `model` is an adapter's name runs on a context with that adapter. Default none.
   */
  loraAdapters: LoraAdapter[];
}

/** One LoRA adapter the model server loads. */
export interface LoraAdapter {
  name: string;
  path: string;
  scale: number;
}

/**
 * Flags `APOGEE_MODEL_SERVER_ARGS` (whitespace-separated, `--flag N` or `--flag=N`; the model's
 * `config.extraArgs`) may set. They override the environment; the runtime's own flags (`--model`,
 * `--port`, ...) override them.
 */
export const EXTRA_ARG_FLAGS = ['--threads', '--context-size', '--gpu-layers', '--parallel'];

const FLAGS: Record<string, string> = {
  '--model': 'APOGEE_MODEL_PATH',
  '--format': 'APOGEE_MODEL_FORMAT',
  '--model-id': 'APOGEE_MODEL_ID',
  '--deployment-id': 'APOGEE_DEPLOYMENT_ID',
  '--host': 'APOGEE_MODEL_SERVER_HOST',
  '--port': 'APOGEE_MODEL_SERVER_PORT',
  '--log-level': 'APOGEE_LOG_LEVEL',
  '--context-size': 'APOGEE_LLAMA_CONTEXT_SIZE',
  '--parallel': 'APOGEE_LLAMA_PARALLEL',
  '--gpu': 'APOGEE_LLAMA_GPU',
  '--threads': 'APOGEE_LLAMA_THREADS',
  '--gpu-layers': 'APOGEE_LLAMA_GPU_LAYERS',
};

/** The CLI flags accepted by `model-server/main.js`, for usage messages. */
export const MODEL_SERVER_FLAGS = Object.keys(FLAGS);

/** Maps CLI flags (`--model FILE` or `--model=FILE`) onto their environment variable names. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const variable = FLAGS[flag];
    if (!variable)
      throw new ConfigError(flag, `unknown flag; accepted: ${MODEL_SERVER_FLAGS.join(', ')}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(flag, 'missing value');
    out[variable] = value;
  }
  return out;
}

/** Reads and validates the whole model server configuration; throws `ConfigError` naming the bad variable. */
export function readModelServerConfig(
  env: RawEnv,
  argv: readonly string[] = [],
): ModelServerConfig {
  const extra = (str(env, 'APOGEE_MODEL_SERVER_ARGS') ?? '').split(/\s+/).filter(Boolean);
  for (const token of extra) {
    const flag = token.includes('=') ? token.slice(0, token.indexOf('=')) : token;
    if (flag.startsWith('-') && !EXTRA_ARG_FLAGS.includes(flag))
      throw new ConfigError(
        'APOGEE_MODEL_SERVER_ARGS',
        `${flag} is not accepted; accepted: ${EXTRA_ARG_FLAGS.join(', ')}`,
      );
  }
  const merged: RawEnv = { ...env, ...flagsToEnv(extra), ...flagsToEnv(argv) };
  const modelPath = str(merged, 'APOGEE_MODEL_PATH');
  if (!modelPath) throw new ConfigError('APOGEE_MODEL_PATH', 'required (or --model FILE)');
  const ext = path.extname(modelPath).slice(1).toLowerCase();
  const inferred = (MODEL_FORMATS as readonly string[]).includes(ext)
    ? (ext as ModelFormat)
    : undefined;
  const format = oneOf(merged, 'APOGEE_MODEL_FORMAT', MODEL_FORMATS, inferred ?? 'onnx');
  if (!inferred && !str(merged, 'APOGEE_MODEL_FORMAT')) {
    throw new ConfigError(
      'APOGEE_MODEL_FORMAT',
      `required when the file extension is not .onnx or .gguf (${modelPath})`,
    );
  }
  return {
    modelPath: path.resolve(modelPath),
    format,
    modelId: str(merged, 'APOGEE_MODEL_ID', path.basename(modelPath, path.extname(modelPath))),
    deploymentId: str(merged, 'APOGEE_DEPLOYMENT_ID') ?? null,
    host: str(merged, 'APOGEE_MODEL_SERVER_HOST', '127.0.0.1'),
    port: int(merged, 'APOGEE_MODEL_SERVER_PORT', 8080, 0, 65535),
    logLevel: oneOf(
      merged,
      'APOGEE_LOG_LEVEL',
      ['debug', 'info', 'warn', 'error'] as const,
      'info',
    ),
    maxBodyBytes: int(merged, 'APOGEE_MAX_BODY_BYTES', 32 * 1024 * 1024, 1),
    llamaContextSize: int(merged, 'APOGEE_LLAMA_CONTEXT_SIZE', 0, 0),
    llamaParallel: int(merged, 'APOGEE_LLAMA_PARALLEL', 1, 1, 256),
    llamaGpu: oneOf(merged, 'APOGEE_LLAMA_GPU', ['auto', 'cuda', 'vulkan', 'cpu'] as const, 'auto'),
    llamaThreads: int(merged, 'APOGEE_LLAMA_THREADS', 0, 0, 1024),
    llamaGpuLayers: int(merged, 'APOGEE_LLAMA_GPU_LAYERS', -1, -1),
    defaultMaxTokens: int(merged, 'APOGEE_DEFAULT_MAX_TOKENS', 512, 1),
    defaultTemperature: num(merged, 'APOGEE_DEFAULT_TEMPERATURE', 1, 0, 2),
    onnxThreads: int(merged, 'APOGEE_ONNX_THREADS', 0, 0, 1024),
    loraAdapters: readLoraAdapters(str(merged, 'APOGEE_LORA_ADAPTERS')),
  };
}

function readLoraAdapters(raw: string | undefined): LoraAdapter[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('APOGEE_LORA_ADAPTERS', 'must be a JSON array');
  }
  if (!Array.isArray(parsed)) throw new ConfigError('APOGEE_LORA_ADAPTERS', 'must be a JSON array');
  return parsed.map((a: unknown, i) => {
    const o = (a ?? {}) as { name?: unknown; path?: unknown; scale?: unknown };
    if (typeof o.name !== 'string' || !o.name || typeof o.path !== 'string' || !o.path)
      throw new ConfigError('APOGEE_LORA_ADAPTERS', `[${i}] needs a name and a path`);
    const scale = o.scale === undefined ? 1 : Number(o.scale);
    if (!Number.isFinite(scale))
      throw new ConfigError('APOGEE_LORA_ADAPTERS', `[${i}].scale must be a number`);
    return { name: o.name, path: path.resolve(o.path), scale };
  });
}
