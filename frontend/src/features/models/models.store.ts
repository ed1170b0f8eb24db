import type { Model, ModelConfig, ModelCreateParams } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '@/app/api';
import { onSignedOut } from '@/app/session-events';
import { streamChat, type ChatMessage } from '@/features/deployments/sse';

/** Loading states that change on their own: the page polls while a model is in one. */
export const LOADING = new Set(['REQUESTED', 'LOADING']);

/** The orbit's models (llmariner-style model manager): base and fine-tuned, loading and failed. */
export const useModelsStore = defineStore('models', () => {
  const items = ref<Model[]>([]);
  const loading = ref(false);
  const anyLoading = computed(() => items.value.some((m) => LOADING.has(m.loadingStatus)));

  async function load(org: string, orbit: string, quiet = false): Promise<void> {
    if (!quiet) loading.value = true;
    try {
      const out: Model[] = [];
      await api(async (c) => {
        for await (const m of c.models.iterate(org, orbit, {
          includeLoading: true,
          includeUnpublished: true,
          limit: 500,
        }))
          out.push(m);
      });
      items.value = out;
    } finally {
      loading.value = false;
    }
  }

  function put(m: Model): void {
    const i = items.value.findIndex((x) => x.id === m.id);
    items.value =
      i === -1
        ? [...items.value, m].sort((a, b) => a.id.localeCompare(b.id))
        : items.value.map((x) => (x.id === m.id ? m : x));
  }

  async function create(org: string, orbit: string, params: ModelCreateParams): Promise<Model> {
    const m = await api((c) => c.models.create(org, orbit, params));
    put(m);
    return m;
  }

  async function setActive(org: string, orbit: string, id: string, active: boolean): Promise<void> {
    put(
      await api((c) =>
        active ? c.models.activate(org, orbit, id) : c.models.deactivate(org, orbit, id),
      ),
    );
  }

  async function updateConfig(
    org: string,
    orbit: string,
    id: string,
    config: ModelConfig,
  ): Promise<void> {
    put(await api((c) => c.models.update(org, orbit, id, config)));
  }

  async function retry(org: string, orbit: string, id: string): Promise<void> {
    put(await api((c) => c.models.retry(org, orbit, id)));
  }

  async function remove(org: string, orbit: string, id: string): Promise<void> {
    await api((c) => c.models.delete(org, orbit, id));
    items.value = items.value.filter((m) => m.id !== id);
  }

  /** Streams a chat completion through the gateway (`/v1/chat/completions`) in this orbit. */
  function chat(
    org: string,
    orbit: string,
    model: string,
    messages: ChatMessage[],
    onDelta: (t: string) => void,
    signal?: AbortSignal,
  ): Promise<string> {
    return streamChat('/v1/chat/completions', { model, messages }, onDelta, signal, {
      'OpenAI-Organization': org,
      'OpenAI-Project': orbit,
    });
  }

  onSignedOut(() => {
    items.value = [];
  });

  return { items, loading, anyLoading, load, create, setActive, updateConfig, retry, remove, chat };
});

/** Parses a loading message like "downloaded 3/7 files, 1.2 GB of 3.4 GB" into a 0–100 ratio. */
export function loadingPercent(
  m: Pick<Model, 'loadingStatus' | 'loadingStatusMessage'>,
): number | null {
  if (m.loadingStatus === 'SUCCEEDED') return 100;
  const msg = m.loadingStatusMessage ?? '';
  const bytes = /([\d.]+)\s*([KMGT]?B)\s+of\s+([\d.]+)\s*([KMGT]?B)/i.exec(msg);
  const unit = (u: string) => 1024 ** ['B', 'KB', 'MB', 'GB', 'TB'].indexOf(u.toUpperCase());
  if (bytes) {
    const total = Number(bytes[3]) * unit(bytes[4]!);
    if (total > 0)
      return Math.min(100, Math.round(((Number(bytes[1]) * unit(bytes[2]!)) / total) * 100));
  }
  const files = /(\d+)\s*\/\s*(\d+)/.exec(msg);
  if (files && Number(files[2]) > 0) return Math.round((Number(files[1]) / Number(files[2])) * 100);
  return null;
}
