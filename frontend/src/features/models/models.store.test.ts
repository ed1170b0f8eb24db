import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeClient } from '@/test/helpers';
import { loadingPercent, useModelsStore } from './models.store';

const model = (id: string, loadingStatus = 'SUCCEEDED', activationStatus = 'inactive') =>
  ({ id, loadingStatus, activationStatus, kind: 'base', config: {}, deploymentIds: [] }) as never;

describe('models store', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('lists loading and unpublished models and knows when to poll', async () => {
    const iterate = vi.fn(async function* () {
      yield model('a', 'LOADING');
      yield model('b');
    });
    fakeClient({ models: { iterate } });
    const s = useModelsStore();
    await s.load('o', 'b');
    expect(iterate).toHaveBeenCalledWith('o', 'b', {
      includeLoading: true,
      includeUnpublished: true,
      limit: 500,
    });
    expect(s.items).toHaveLength(2);
    expect(s.anyLoading).toBe(true);
  });

  it('creates, activates, configures, retries and deletes', async () => {
    const models = {
      iterate: vi.fn(async function* () {}),
      create: vi.fn().mockResolvedValue(model('x', 'REQUESTED')),
      activate: vi.fn().mockResolvedValue(model('x', 'SUCCEEDED', 'active')),
      deactivate: vi.fn().mockResolvedValue(model('x', 'SUCCEEDED', 'inactive')),
      update: vi.fn().mockResolvedValue({ ...(model('x') as object), config: { replicas: 2 } }),
      retry: vi.fn().mockResolvedValue(model('x', 'REQUESTED')),
      delete: vi.fn().mockResolvedValue({ deleted: true }),
    };
    fakeClient({ models });
    const s = useModelsStore();
    await s.create('o', 'b', { id: 'x', source: 'ollama' });
    expect(s.items[0]!.loadingStatus).toBe('REQUESTED');
    await s.setActive('o', 'b', 'x', true);
    expect(s.items[0]!.activationStatus).toBe('active');
    await s.setActive('o', 'b', 'x', false);
    expect(models.deactivate).toHaveBeenCalledWith('o', 'b', 'x');
    await s.updateConfig('o', 'b', 'x', { replicas: 2 });
    expect(s.items[0]!.config.replicas).toBe(2);
    await s.retry('o', 'b', 'x');
    await s.remove('o', 'b', 'x');
    expect(s.items).toEqual([]);
  });

  it('streams chat through the gateway naming the orbit', async () => {
    const enc = new TextEncoder();
    const body = new ReadableStream({
      start(c) {
        c.enqueue(enc.encode('data: {"choices":[{"delta":{"content":"ok"}}]}\n\ndata: [DONE]\n\n'));
        c.close();
      },
    });
    const fetchMock = vi.fn().mockResolvedValue(new Response(body, { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    fakeClient();
    const s = useModelsStore();
    expect(
      await s.chat('org1', 'orb1', 'llama3.2:1b', [{ role: 'user', content: 'hi' }], () => {}),
    ).toBe('ok');
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/v1/chat/completions');
    expect(init.headers['OpenAI-Project']).toBe('orb1');
    expect(JSON.parse(init.body)).toMatchObject({ model: 'llama3.2:1b', stream: true });
  });

  it('reads progress from the loading message', () => {
    expect(
      loadingPercent({
        loadingStatus: 'LOADING',
        loadingStatusMessage: 'downloaded 3/7 files, 1.2 GB of 4.8 GB',
      }),
    ).toBe(25);
    expect(
      loadingPercent({ loadingStatus: 'LOADING', loadingStatusMessage: 'downloaded 1/4 files' }),
    ).toBe(25);
    expect(loadingPercent({ loadingStatus: 'REQUESTED', loadingStatusMessage: null })).toBeNull();
    expect(loadingPercent({ loadingStatus: 'SUCCEEDED', loadingStatusMessage: null })).toBe(100);
  });
});
