import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { readModelServerConfig } from '../config/model-server.config.js';
import { TINY_LLAMA, writeTinyGguf } from '../testing/models.js';
import { startModelServer, type ModelServer } from './server.js';
import { jsonOf } from '../testing/http.js';

async function post(server: ModelServer, route: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Parses a server-sent events body into its `data:` payloads. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

describe('model server (GGUF, OpenAI-compatible)', () => {
  let dir: string;
  let server: ModelServer;
  const chat = {
    model: 'tiny',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello world' },
    ],
    max_tokens: 6,
    temperature: 0,
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'apogee-gguf-'));
    const file = path.join(dir, 'tiny.gguf');
    await writeTinyGguf(file);
    // One thread: llama.cpp's worker threads spin-wait, which is slow on a busy test machine.
    server = await startModelServer(
      readModelServerConfig({}, [
        '--model',
        file,
        '--port',
        '0',
        '--model-id',
        'tiny',
        '--gpu',
        'cpu',
        '--threads',
        '1',
        '--context-size',
        '256',
      ]),
      silentLogger,
    );
    await server.ready;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the served model in /v1/models', async () => {
    const body = await jsonOf(fetch(`${server.url}/v1/models`));
    expect(body).toMatchObject({
      object: 'list',
      data: [{ id: 'tiny', object: 'model', owned_by: 'apogee' }],
    });
    expect((await fetch(`${server.url}/v1/models/other`)).status).toBe(404);
  });

  it('answers a chat completion with text, a finish reason and usage', async () => {
    const res = await post(server, '/v1/chat/completions', chat);
    expect(res.status).toBe(200);
    const body = await jsonOf(res);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'tiny',
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'length' }],
    });
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBe(6);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 6);
  });

  it('streams the same greedy completion as server-sent events ending in [DONE]', async () => {
    const whole = await jsonOf(post(server, '/v1/chat/completions', chat));
    const res = await post(server, '/v1/chat/completions', {
      ...chat,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseData(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(
      true,
    );
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe(whole.choices[0].message.content);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe(
      'length',
    );
    expect(chunks.at(-1).usage.completion_tokens).toBe(6);
  });

  it('stops generating when a streaming client goes away, and serves the next request', async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...chat, max_tokens: 100_000, stream: true }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await reader.read().catch(() => undefined);
    // One sequence (--parallel 1) and a limit of 100k tokens: this answers within the test timeout
    // only if the abandoned generation stopped and released the sequence.
    const next = await jsonOf(post(server, '/v1/chat/completions', chat));
    expect(next.usage.completion_tokens).toBe(6);
  });

  it('answers text completions, streamed and not', async () => {
    const request = { prompt: 'the model', max_tokens: 4, temperature: 0 };
    const body = await jsonOf(post(server, '/v1/completions', request));
    expect(body).toMatchObject({
      object: 'text_completion',
      choices: [{ finish_reason: 'length' }],
      usage: { completion_tokens: 4 },
    });
    const events = sseData(
      await (await post(server, '/v1/completions', { ...request, stream: true })).text(),
    );
    expect(events.at(-1)).toBe('[DONE]');
    const text = events
      .slice(0, -1)
      .map((e) => JSON.parse(e).choices[0].text)
      .join('');
    expect(text).toBe(body.choices[0].text);
  });

  it('returns one embedding per input, as floats or base64', async () => {
    const body = await jsonOf(post(server, '/v1/embeddings', { input: ['hello', 'world'] }));
    expect(body.object).toBe('list');
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1]);
    expect(body.data[0].embedding).toHaveLength(TINY_LLAMA.embeddingLength);
    expect(body.data[0].embedding).not.toEqual(body.data[1].embedding);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    const b64 = await jsonOf(
      post(server, '/v1/embeddings', { input: 'hello', encoding_format: 'base64' }),
    );
    const floats = new Float32Array(
      new Uint8Array(Buffer.from(b64.data[0].embedding, 'base64')).buffer,
    );
    expect(Array.from(floats)).toEqual(body.data[0].embedding.map(Math.fround));
  });

  it('answers 400 in the OpenAI error shape for invalid requests', async () => {
    const res = await post(server, '/v1/chat/completions', { messages: 'hi' });
    expect(res.status).toBe(400);
    expect(await jsonOf(res)).toMatchObject({
      error: { type: 'invalid_request_error', param: 'messages' },
    });
  });

  it('reports the model in /healthz and its endpoints in /schema', async () => {
    expect(await jsonOf(fetch(`${server.url}/healthz`))).toMatchObject({
      status: 'ok',
      format: 'gguf',
      architecture: 'llama',
    });
    const schema = await jsonOf(fetch(`${server.url}/schema`));
    expect(Object.keys(schema.paths)).toContain('/v1/chat/completions');
  });
});
