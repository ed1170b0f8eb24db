import { InvalidRequest } from '../common/errors.js';
import { isRecord } from './http.js';

/** A chat message after validation; `content` flattened to text. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string;
}

/** Sampling options shared by chat and text completions. */
export interface SamplingOptions {
  maxTokens: number;
  temperature: number;
  topP: number | undefined;
  seed: number | undefined;
  stop: string[];
  presencePenalty: number | undefined;
  frequencyPenalty: number | undefined;
  stream: boolean;
  includeUsage: boolean;
}

/** `POST /v1/chat/completions` body after validation. */
export interface ChatCompletionRequest extends SamplingOptions {
  messages: ChatMessage[];
}

/** `POST /v1/completions` body after validation. */
export interface CompletionRequest extends SamplingOptions {
  prompt: string;
}

/** `POST /v1/embeddings` body after validation. */
export interface EmbeddingRequest {
  input: string[];
  encodingFormat: 'float' | 'base64';
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

function optionalNumber(
  body: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new InvalidRequest(`${key} must be a number between ${min} and ${max}`, key);
  }
  return v;
}

function optionalInt(body: Record<string, unknown>, key: string, min: number): number | undefined {
  const v = optionalNumber(body, key, min, Number.MAX_SAFE_INTEGER);
  if (v !== undefined && !Number.isInteger(v))
    throw new InvalidRequest(`${key} must be an integer`, key);
  return v;
}

function parseSampling(
  body: Record<string, unknown>,
  defaults: { maxTokens: number; temperature: number },
): SamplingOptions {
  const n = optionalInt(body, 'n', 1);
  if (n !== undefined && n !== 1) throw new InvalidRequest('Only n = 1 is supported', 'n');
  const stopRaw = body.stop;
  let stop: string[] = [];
  if (typeof stopRaw === 'string') stop = [stopRaw];
  else if (Array.isArray(stopRaw) && stopRaw.every((s) => typeof s === 'string'))
    stop = stopRaw as string[];
  else if (stopRaw !== undefined && stopRaw !== null)
    throw new InvalidRequest('stop must be a string or an array of strings', 'stop');
  if (stop.length > 4) throw new InvalidRequest('stop takes at most 4 sequences', 'stop');
  const stream = body.stream ?? false;
  if (typeof stream !== 'boolean') throw new InvalidRequest('stream must be a boolean', 'stream');
  const streamOptions = body.stream_options;
  const includeUsage = isRecord(streamOptions) && streamOptions.include_usage === true;
  return {
    maxTokens:
      optionalInt(body, 'max_completion_tokens', 1) ??
      optionalInt(body, 'max_tokens', 1) ??
      defaults.maxTokens,
    temperature: optionalNumber(body, 'temperature', 0, 2) ?? defaults.temperature,
    topP: optionalNumber(body, 'top_p', 0, 1),
    seed: optionalInt(body, 'seed', Number.MIN_SAFE_INTEGER),
    stop,
    presencePenalty: optionalNumber(body, 'presence_penalty', -2, 2),
    frequencyPenalty: optionalNumber(body, 'frequency_penalty', -2, 2),
    stream,
    includeUsage,
  };
}

function contentText(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((part, i) => {
        if (isRecord(part) && part.type === 'text' && typeof part.text === 'string')
          return part.text;
        throw new InvalidRequest(`${at}[${i}]: only text content parts are supported`, 'messages');
      })
      .join('');
  }
  throw new InvalidRequest(`${at} must be a string or an array of text parts`, 'messages');
}

/** Validates a chat completion request body. */
export function parseChatCompletionRequest(
  body: unknown,
  defaults: { maxTokens: number; temperature: number },
): ChatCompletionRequest {
  if (!isRecord(body)) throw new InvalidRequest('Expected a JSON object');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new InvalidRequest('messages must be a non-empty array', 'messages');
  }
  const messages = body.messages.map((m, i): ChatMessage => {
    if (!isRecord(m) || !(ROLES as readonly unknown[]).includes(m.role)) {
      throw new InvalidRequest(
        `messages[${i}].role must be one of ${ROLES.join(', ')}`,
        'messages',
      );
    }
    return {
      role: m.role as ChatMessage['role'],
      content: contentText(m.content, `messages[${i}].content`),
    };
  });
  return { messages, ...parseSampling(body, defaults) };
}

/** Validates a text completion request body (one prompt). */
export function parseCompletionRequest(
  body: unknown,
  defaults: { maxTokens: number; temperature: number },
): CompletionRequest {
  if (!isRecord(body)) throw new InvalidRequest('Expected a JSON object');
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
  if (typeof prompt !== 'string')
    throw new InvalidRequest('prompt must be a string (one prompt per request)', 'prompt');
  return { prompt, ...parseSampling(body, defaults) };
}

/** Validates an embeddings request body. */
export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  if (!isRecord(body)) throw new InvalidRequest('Expected a JSON object');
  const input = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(input) || input.length === 0 || !input.every((s) => typeof s === 'string')) {
    throw new InvalidRequest('input must be a string or a non-empty array of strings', 'input');
  }
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64')
    throw new InvalidRequest('encoding_format must be float or base64', 'encoding_format');
  return { input: input as string[], encodingFormat: format };
}

/** Maps a node-llama-cpp stop reason to OpenAI's `finish_reason`. */
export function finishReason(stopReason: string): 'stop' | 'length' {
  return stopReason === 'maxTokens' ? 'length' : 'stop';
}
