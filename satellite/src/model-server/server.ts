import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, RouteNotFound, ensureError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import type { ModelServerConfig } from '../config/model-server.config.js';
import type { ModelBackend } from './backend.js';
import { Router } from './http.js';

/** A running model server. */
export interface ModelServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** Resolves once the model is loaded and the model routes answer; rejects if loading failed. */
  readonly ready: Promise<void>;
  /** Stops accepting requests, ends open streams and releases the model. */
  close(): Promise<void>;
}

type State =
  | { phase: 'loading' }
  | { phase: 'ready'; backend: ModelBackend }
  | { phase: 'failed'; error: Error };

async function loadBackend(config: ModelServerConfig, log: Logger): Promise<ModelBackend> {
  // Each runtime library is imported only when its format is served: onnxruntime and llama.cpp
  // are large native modules.
  switch (config.format) {
    case 'onnx': {
      if (config.loraAdapters.length)
        throw new Error('LoRA adapters (APOGEE_LORA_ADAPTERS) load on GGUF models only');
      const { loadOnnxBackend } = await import('./onnx-backend.js');
      return loadOnnxBackend({
        modelPath: config.modelPath,
        modelId: config.modelId,
        threads: config.onnxThreads,
        log,
      });
    }
    case 'gguf': {
      const { loadGgufBackend } = await import('./gguf-backend.js');
      return loadGgufBackend({
        modelPath: config.modelPath,
        modelId: config.modelId,
        contextSize: config.llamaContextSize,
        parallel: config.llamaParallel,
        gpu: config.llamaGpu,
        gpuLayers: config.llamaGpuLayers,
        threads: config.llamaThreads,
        defaultMaxTokens: config.defaultMaxTokens,
        defaultTemperature: config.defaultTemperature,
        adapters: config.loraAdapters,
        log,
      });
    }
  }
}

/**
 * Starts the model server: it listens at once (so `/healthz` answers 503 while the model loads)
 * and then loads the model. Routes: `/healthz`, `/schema` (alias `/openapi.json`), and the
 * format's own: `POST /predict` for ONNX, the OpenAI-compatible `/v1/*` for GGUF.
 */
export async function startModelServer(
  config: ModelServerConfig,
  logger?: Logger,
): Promise<ModelServer> {
  const log = (logger ?? createLogger({ level: config.logLevel })).child({
    model: config.modelId,
    ...(config.deploymentId ? { deployment: config.deploymentId } : {}),
  });
  let state: State = { phase: 'loading' };
  const startedAt = Date.now();
  const router = new Router(log, config.maxBodyBytes);
  const backend = (): ModelBackend => {
    if (state.phase === 'ready') return state.backend;
    if (state.phase === 'failed')
      throw new HttpError(503, 'model_failed', `Model failed to load: ${state.error.message}`);
    throw new HttpError(503, 'model_loading', 'The model is still loading');
  };
  router
    .on('GET', '/healthz', (ctx) => {
      const body = {
        status: state.phase === 'ready' ? 'ok' : state.phase,
        format: config.format,
        model: config.modelId,
        deployment: config.deploymentId,
        uptimeSec: Math.round((Date.now() - startedAt) / 1000),
        ...(state.phase === 'ready' ? state.backend.describe() : {}),
        ...(state.phase === 'failed' ? { error: state.error.message } : {}),
      };
      ctx.res.statusCode = state.phase === 'ready' ? 200 : 503;
      ctx.res.setHeader('content-type', 'application/json');
      ctx.res.end(JSON.stringify(body));
      return undefined;
    })
    .on('GET', '/schema', () => backend().openApi())
    .on('GET', '/openapi.json', () => backend().openApi());

  // Model routes are added once the model is loaded; until then any other path answers 503.
  router.onUnmatched = (method, path) => {
    if (state.phase !== 'ready') backend();
    throw new RouteNotFound(method, path);
  };

  const server: Server = createServer(router.listener);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info('model server listening', { url, format: config.format, modelPath: config.modelPath });

  const ready = (async () => {
    const started = performance.now();
    try {
      const loaded = await loadBackend(config, log);
      loaded.register(router);
      state = { phase: 'ready', backend: loaded };
      log.info('model ready', { loadMs: Math.round(performance.now() - started) });
    } catch (e) {
      const error = ensureError(e);
      state = { phase: 'failed', error };
      log.error('model failed to load', { err: error });
      throw error;
    }
  })();
  // `ready` is observed by callers; this handler only keeps an unobserved failure from crashing.
  ready.catch(() => undefined);

  return {
    url,
    port,
    ready,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (state.phase === 'ready') await state.backend.close();
      log.info('model server stopped');
    },
  };
}
