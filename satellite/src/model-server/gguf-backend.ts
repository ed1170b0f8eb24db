import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  getLlama,
  LlamaChat,
  LlamaCompletion,
  LlamaLogLevel,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaModel,
} from 'node-llama-cpp';
import { HttpError, ModelLoadFailed, ensureError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { ResourcePool } from '../common/pool.js';
import type { LlamaGpu, LoraAdapter } from '../config/model-server.config.js';
import type { ModelBackend } from './backend.js';
import { openEventStream, type RequestContext, type Router } from './http.js';
import {
  finishReason,
  parseChatCompletionRequest,
  parseCompletionRequest,
  parseEmbeddingRequest,
  type ChatMessage,
  type SamplingOptions,
} from './openai.js';
import { llmOpenApi } from './openapi.js';

/** Options of {@link loadGgufBackend}. */
export interface GgufBackendOptions {
  modelPath: string;
  modelId: string;
  /** Context per sequence, tokens; 0 = the model's training size capped at 4096. */
  contextSize: number;
  /** Sequences generating at once. */
  parallel: number;
  gpu: LlamaGpu;
  /** CPU threads per context; 0 = node-llama-cpp's default. */
  threads: number;
  /** Layers offloaded to the GPU; -1 lets node-llama-cpp decide. */
  gpuLayers: number;
  defaultMaxTokens: number;
  defaultTemperature: number;
  /** LoRA adapters: each gets a context of its own and is served as the model `name`. */
  adapters?: readonly LoraAdapter[];
  log: Logger;
}

/** The base model or one adapter on it: the id it is served as and its sequences. */
interface Variant {
  id: string;
  context: LlamaContext;
  pool: ResourcePool<LlamaContextSequence>;
}

const LLAMA_LOG_LEVELS: Partial<Record<LlamaLogLevel, 'debug' | 'info' | 'warn' | 'error'>> = {
  [LlamaLogLevel.fatal]: 'error',
  [LlamaLogLevel.error]: 'error',
  [LlamaLogLevel.warn]: 'warn',
  [LlamaLogLevel.info]: 'debug',
  [LlamaLogLevel.log]: 'debug',
  [LlamaLogLevel.debug]: 'debug',
};

/** Where llama.cpp runs: `getLlama` never builds (there is no network); it uses the prebuilt binaries. */
async function loadLlama(gpu: LlamaGpu, log: Logger): Promise<Llama> {
  return getLlama({
    build: 'never',
    gpu: gpu === 'cpu' ? false : gpu,
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      const text = message.trim();
      if (text) log[LLAMA_LOG_LEVELS[level] ?? 'info']('llama.cpp', { llama: text });
    },
  });
}

function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  return messages.map((m): ChatHistoryItem => {
    switch (m.role) {
      case 'system':
      case 'developer':
        return { type: 'system', text: m.content };
      case 'user':
      case 'tool':
        return { type: 'user', text: m.content };
      case 'assistant':
        return { type: 'model', response: [m.content] };
    }
  });
}

/** Loads a GGUF model with node-llama-cpp and serves the OpenAI-compatible API. */
export async function loadGgufBackend(options: GgufBackendOptions): Promise<ModelBackend> {
  const { log } = options;
  let llama: Llama;
  let model: LlamaModel;
  let context: LlamaContext;
  const adapterContexts: { adapter: LoraAdapter; context: LlamaContext }[] = [];
  try {
    llama = await loadLlama(options.gpu, log);
    model = await llama.loadModel({
      modelPath: options.modelPath,
      ...(options.gpuLayers >= 0 ? { gpuLayers: options.gpuLayers } : {}),
    });
    const contextSize =
      options.contextSize > 0 ? options.contextSize : Math.min(model.trainContextSize, 4096);
    context = await model.createContext({
      contextSize,
      sequences: options.parallel,
      ...(options.threads > 0 ? { threads: options.threads } : {}),
    });
    for (const adapter of options.adapters ?? []) {
      // llama.cpp checks the adapter against the model (architecture, tensor shapes) here.
      const ctx = await model.createContext({
        contextSize,
        sequences: options.parallel,
        ...(options.threads > 0 ? { threads: options.threads } : {}),
        lora: { adapters: [{ filePath: adapter.path, scale: adapter.scale }] },
      });
      adapterContexts.push({ adapter, context: ctx });
    }
  } catch (e) {
    throw new ModelLoadFailed(options.modelPath, e);
  }
  const created = Math.floor((await stat(options.modelPath)).mtimeMs / 1000);
  const variantOf = (id: string, ctx: LlamaContext): Variant => {
    const sequences: LlamaContextSequence[] = [];
    for (let i = 0; i < options.parallel; i++) sequences.push(ctx.getSequence());
    return { id, context: ctx, pool: new ResourcePool(sequences) };
  };
  const baseVariant = variantOf(options.modelId, context);
  const variants = new Map<string, Variant>([[options.modelId, baseVariant]]);
  for (const a of adapterContexts)
    variants.set(a.adapter.name, variantOf(a.adapter.name, a.context));
  /** The variant a request's `model` names; any other name is the base model (as before adapters). */
  const variantFor = (body: unknown): Variant => {
    const name = (body as { model?: unknown } | null)?.model;
    return (typeof name === 'string' && variants.get(name)) || baseVariant;
  };
  let embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  const embeddingPool = new ResourcePool([0]);
  const facts = {
    gpu: llama.gpu,
    contextSize: context.contextSize,
    parallel: options.parallel,
    trainContextSize: model.trainContextSize,
    embeddingSize: model.embeddingVectorSize,
    architecture: model.fileInfo.metadata.general.architecture,
    name: model.fileInfo.metadata.general.name ?? null,
    adapters: adapterContexts.map((a) => a.adapter.name),
  };
  log.info('gguf model loaded', facts);
  const defaults = { maxTokens: options.defaultMaxTokens, temperature: options.defaultTemperature };

  function samplingFor(s: SamplingOptions) {
    return {
      maxTokens: s.maxTokens,
      temperature: s.temperature,
      ...(s.topP !== undefined ? { topP: s.topP } : {}),
      ...(s.seed !== undefined ? { seed: s.seed } : {}),
      ...(s.stop.length ? { customStopTriggers: s.stop } : {}),
      ...(s.presencePenalty !== undefined || s.frequencyPenalty !== undefined
        ? {
            repeatPenalty: {
              presencePenalty: s.presencePenalty ?? 0,
              frequencyPenalty: s.frequencyPenalty ?? 0,
            },
          }
        : {}),
    };
  }

  async function withSequence<R>(
    ctx: RequestContext,
    variant: Variant,
    fn: (seq: LlamaContextSequence) => Promise<R>,
  ): Promise<R> {
    return variant.pool.use(fn, ctx.signal);
  }

  async function chatCompletions(ctx: RequestContext): Promise<unknown> {
    const body = await ctx.json();
    const variant = variantFor(body);
    const request = parseChatCompletionRequest(body, defaults);
    const history = toHistory(request.messages);
    const id = `chatcmpl-${randomUUID()}`;
    const base = { id, created: Math.floor(Date.now() / 1000), model: variant.id };
    const stream = request.stream ? openEventStreamLazily(ctx) : undefined;
    return withSequence(ctx, variant, async (sequence) => {
      const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
      try {
        const promptTokens = chat.chatWrapper
          .generateContextState({ chatHistory: history })
          .contextText.tokenize(model.tokenizer).length;
        const before = sequence.tokenMeter.usedOutputTokens;
        stream?.send({
          ...base,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        });
        const result = await chat.generateResponse(history, {
          ...samplingFor(request),
          signal: ctx.signal,
          stopOnAbortSignal: true,
          onTextChunk: stream
            ? (text) =>
                stream.send({
                  ...base,
                  object: 'chat.completion.chunk',
                  choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
                })
            : undefined,
        });
        const completionTokens = sequence.tokenMeter.usedOutputTokens - before;
        const usage = {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        };
        const finish = finishReason(result.metadata.stopReason);
        if (stream) {
          stream.send({
            ...base,
            object: 'chat.completion.chunk',
            choices: [{ index: 0, delta: {}, finish_reason: finish }],
          });
          if (request.includeUsage)
            stream.send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
          stream.done();
          return undefined;
        }
        return {
          ...base,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: result.response },
              finish_reason: finish,
              logprobs: null,
            },
          ],
          usage,
        };
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    });
  }

  async function completions(ctx: RequestContext): Promise<unknown> {
    const body = await ctx.json();
    const variant = variantFor(body);
    const request = parseCompletionRequest(body, defaults);
    const id = `cmpl-${randomUUID()}`;
    const base = {
      id,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: variant.id,
    };
    const stream = request.stream ? openEventStreamLazily(ctx) : undefined;
    return withSequence(ctx, variant, async (sequence) => {
      const completion = new LlamaCompletion({
        contextSequence: sequence,
        autoDisposeSequence: false,
      });
      try {
        const promptTokens = model.tokenize(request.prompt).length;
        const before = sequence.tokenMeter.usedOutputTokens;
        const result = await completion.generateCompletionWithMeta(request.prompt, {
          ...samplingFor(request),
          signal: ctx.signal,
          stopOnAbortSignal: true,
          onTextChunk: stream
            ? (text) =>
                stream.send({
                  ...base,
                  choices: [{ index: 0, text, finish_reason: null, logprobs: null }],
                })
            : undefined,
        });
        const completionTokens = sequence.tokenMeter.usedOutputTokens - before;
        const usage = {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        };
        const finish = finishReason(result.metadata.stopReason);
        if (stream) {
          stream.send({
            ...base,
            choices: [{ index: 0, text: '', finish_reason: finish, logprobs: null }],
          });
          if (request.includeUsage) stream.send({ ...base, choices: [], usage });
          stream.done();
          return undefined;
        }
        return {
          ...base,
          choices: [{ index: 0, text: result.response, finish_reason: finish, logprobs: null }],
          usage,
        };
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    });
  }

  async function embeddings(ctx: RequestContext): Promise<unknown> {
    const request = parseEmbeddingRequest(await ctx.json());
    embeddingContext ??= model.createEmbeddingContext({
      contextSize: Math.min(context.contextSize, 2048),
      ...(options.threads > 0 ? { threads: options.threads } : {}),
    });
    let embedder: LlamaEmbeddingContext;
    try {
      embedder = await embeddingContext;
    } catch (e) {
      embeddingContext = undefined;
      throw new HttpError(
        500,
        'embeddings_unavailable',
        `Could not create an embedding context: ${ensureError(e).message}`,
        { cause: e },
      );
    }
    return embeddingPool.use(async () => {
      const data = [];
      let tokens = 0;
      for (const [index, text] of request.input.entries()) {
        const length = embedder.calculateInputLength(text);
        if (length > context.contextSize) {
          throw new HttpError(
            400,
            'input_too_long',
            `input[${index}] has ${length} tokens; the limit is ${context.contextSize}`,
          );
        }
        tokens += length;
        const { vector } = await embedder.getEmbeddingFor(text);
        const embedding =
          request.encodingFormat === 'base64'
            ? Buffer.from(Float32Array.from(vector).buffer).toString('base64')
            : [...vector];
        data.push({ object: 'embedding', index, embedding });
      }
      return {
        object: 'list',
        data,
        model: options.modelId,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    }, ctx.signal);
  }

  const modelEntries = [...variants.keys()].map((id) => ({
    id,
    object: 'model',
    created,
    owned_by: 'apogee',
  }));
  const openApi = llmOpenApi(options.modelId, facts);

  return {
    format: 'gguf',
    register(router: Router) {
      router
        .on('POST', '/v1/chat/completions', chatCompletions)
        .on('POST', '/v1/completions', completions)
        .on('POST', '/v1/embeddings', embeddings)
        .on('GET', '/v1/models', () => ({ object: 'list', data: modelEntries }))
        .on('GET', '/v1/models/:id', (ctx) => {
          const entry = modelEntries.find((m) => m.id === ctx.params.id);
          if (!entry)
            throw new HttpError(404, 'model_not_found', `Model ${ctx.params.id} not found`);
          return entry;
        });
    },
    openApi: () => openApi,
    describe: () => ({ ...facts, waiting: baseVariant.pool.waiting }),
    async close() {
      if (embeddingContext) await (await embeddingContext).dispose();
      for (const a of adapterContexts) await a.context.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

/**
 * Opens the SSE response on the first event only, so that a request failing before generation
 * starts (bad sequence, queue abort) still gets a plain JSON error with its status.
 */
function openEventStreamLazily(ctx: RequestContext): { send(data: unknown): void; done(): void } {
  let stream: ReturnType<typeof openEventStream> | undefined;
  const open = () => (stream ??= openEventStream(ctx.res));
  return { send: (data) => open().send(data), done: () => open().done() };
}
