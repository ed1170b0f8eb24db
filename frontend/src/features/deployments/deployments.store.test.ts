import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import { useDeploymentsStore } from './deployments.store';
import { chunkDelta, sseData } from './sse';

const dep = (id: string, status = 'pending') => ({ id, name: id, status, satelliteName: 'local' });

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      chunks.forEach((x) => c.enqueue(enc.encode(x)));
      c.close();
    },
  });
}

describe('deployments store', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('loads, creates, stops, redeploys and deletes (force while placed)', async () => {
    const deployments = {
      create: vi.fn().mockResolvedValue(dep('d2')),
      get: vi.fn().mockResolvedValue(dep('d2', 'active')),
      stop: vi.fn().mockResolvedValue(dep('d2', 'stopping')),
      redeploy: vi.fn().mockResolvedValue(dep('d2', 'pending')),
      delete: vi.fn().mockResolvedValue(undefined),
      logs: vi.fn().mockResolvedValue({ lines: ['a', 'b'], updatedAt: null }),
    };
    fakeClient(
      { deployments },
      { '/v1/organizations/o/orbits/b/deployments': [dep('d1', 'active')] },
    );
    const s = useDeploymentsStore();
    await s.load('o', 'b');
    await s.create('o', 'b', { artifactId: 'a1', name: 'd2' });
    expect(s.items.map((d) => d.id)).toEqual(['d2', 'd1']);
    await s.get('o', 'b', 'd2');
    expect(s.current?.status).toBe('active');
    await s.stop('o', 'b', 'd2');
    expect(s.current?.status).toBe('stopping');
    expect(s.items[0]!.status).toBe('stopping');
    await s.redeploy('o', 'b', 'd2');
    await s.loadLogs('o', 'b', 'd2');
    expect(s.logs?.lines).toEqual(['a', 'b']);
    await s.remove('o', 'b', 'd2', true);
    expect(deployments.delete).toHaveBeenCalledWith('o', 'b', 'd2', { force: true });
    expect(s.items.map((d) => d.id)).toEqual(['d1']);
    expect(s.current).toBeNull();
  });

  it('parses SSE split across chunks, with CRLF and [DONE]', async () => {
    const out: string[] = [];
    for await (const p of sseData(
      streamOf([
        'data: {"choices":[{"delta":{"content":"He"}}]}\r\n',
        '\r\ndata: {"choices":[{"del',
        'ta":{"content":"llo"}}]}\n\n: comment\n\ndata: [DONE]\n\n',
      ]),
    ))
      out.push(p);
    expect(out.map(chunkDelta).join('')).toBe('Hello');
    expect(out.at(-1)).toBe('[DONE]');
  });

  it('streams chat tokens from the proxy with stream: true', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValue(
        new Response(
          streamOf([
            'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n',
            'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: {"choices":[{"delta":{"content":" there"}}]}\n\n',
            'data: [DONE]\n\n',
          ]),
          { status: 200, headers: { 'content-type': 'text/event-stream' } },
        ),
      );
    vi.stubGlobal('fetch', fetchMock);
    fakeClient();
    const s = useDeploymentsStore();
    const tokens: string[] = [];
    const text = await s.chat('o', 'b', 'd1', [{ role: 'user', content: 'hey' }], (t) =>
      tokens.push(t),
    );
    expect(text).toBe('Hi there');
    expect(tokens).toEqual(['Hi', ' there']);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/v1/organizations/o/orbits/b/deployments/d1/proxy/v1/chat/completions');
    expect(JSON.parse(init.body)).toMatchObject({
      stream: true,
      messages: [{ role: 'user', content: 'hey' }],
    });
  });

  it('surfaces the API message of a failed stream', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(
        new Response(
          JSON.stringify({
            code: 'deployment_not_active',
            message: 'Deployment is stopped',
            requestId: 'req_1',
          }),
          {
            status: 409,
            headers: { 'content-type': 'application/json' },
          },
        ),
      ),
    );
    fakeClient();
    const s = useDeploymentsStore();
    await expect(s.chat('o', 'b', 'd1', [], () => {})).rejects.toMatchObject({
      status: 409,
      rawMessage: 'Deployment is stopped',
      requestId: 'req_1',
    });
  });
});
