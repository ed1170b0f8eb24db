import { describe, expect, it } from 'vitest';
import {
  parseChatCompletionRequest,
  parseCompletionRequest,
  parseEmbeddingRequest,
} from './openai.js';

const defaults = { maxTokens: 100, temperature: 1 };

describe('OpenAI request parsing', () => {
  it('flattens text content parts and applies defaults', () => {
    const r = parseChatCompletionRequest(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
        ],
      },
      defaults,
    );
    expect(r.messages).toEqual([{ role: 'user', content: 'ab' }]);
    expect(r).toMatchObject({ maxTokens: 100, temperature: 1, stream: false, stop: [] });
  });

  it('prefers max_completion_tokens over max_tokens', () => {
    const r = parseChatCompletionRequest(
      { messages: [{ role: 'user', content: 'x' }], max_tokens: 5, max_completion_tokens: 7 },
      defaults,
    );
    expect(r.maxTokens).toBe(7);
  });

  it('rejects bad roles, empty messages, n > 1 and out-of-range sampling', () => {
    expect(() => parseChatCompletionRequest({ messages: [] }, defaults)).toThrow(/messages/);
    expect(() =>
      parseChatCompletionRequest({ messages: [{ role: 'robot', content: 'x' }] }, defaults),
    ).toThrow(/role/);
    expect(() =>
      parseChatCompletionRequest({ messages: [{ role: 'user', content: 'x' }], n: 2 }, defaults),
    ).toThrow(/n = 1/);
    expect(() =>
      parseChatCompletionRequest(
        { messages: [{ role: 'user', content: 'x' }], temperature: 3 },
        defaults,
      ),
    ).toThrow(/temperature/);
  });

  it('reads stream options and stop sequences', () => {
    const r = parseCompletionRequest(
      { prompt: ['p'], stream: true, stream_options: { include_usage: true }, stop: '\n' },
      defaults,
    );
    expect(r).toMatchObject({ prompt: 'p', stream: true, includeUsage: true, stop: ['\n'] });
  });

  it('accepts one or many embedding inputs', () => {
    expect(parseEmbeddingRequest({ input: 'a' }).input).toEqual(['a']);
    expect(parseEmbeddingRequest({ input: ['a', 'b'], encoding_format: 'base64' })).toEqual({
      input: ['a', 'b'],
      encodingFormat: 'base64',
    });
    expect(() => parseEmbeddingRequest({ input: [1] })).toThrow(/input/);
  });
});
