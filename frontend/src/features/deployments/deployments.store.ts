import type {
  Artifact,
  Deployment,
  DeploymentCreateParams,
  DeploymentLogs,
  PredictResponse,
  Satellite,
  Secret,
} from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listAll, listPage, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';
import { streamChat, type ChatMessage } from './sse';

/** Statuses that change on their own: the pages poll while a deployment is in one. */
export const TRANSIENT = new Set(['pending', 'deploying', 'stopping']);

/** Deployments of one orbit, the open one with its logs, and what the create dialog offers. */
export const useDeploymentsStore = defineStore('deployments', () => {
  const items = ref<Deployment[]>([]);
  const loading = ref(false);
  const current = ref<Deployment | null>(null);
  const logs = ref<DeploymentLogs | null>(null);
  const options = ref<{ artifacts: Artifact[]; satellites: Satellite[]; secrets: Secret[] }>({
    artifacts: [],
    satellites: [],
    secrets: [],
  });

  const base = (org: string, orbit: string) =>
    v1('organizations', org, 'orbits', orbit, 'deployments');

  async function load(org: string, orbit: string, quiet = false): Promise<void> {
    if (!quiet) loading.value = true;
    try {
      items.value = await api((c) => listAll<Deployment>(c, base(org, orbit)));
    } finally {
      loading.value = false;
    }
  }

  function put(d: Deployment): void {
    if (current.value?.id === d.id) current.value = d;
    const i = items.value.findIndex((x) => x.id === d.id);
    items.value = i === -1 ? [d, ...items.value] : items.value.map((x) => (x.id === d.id ? d : x));
  }

  async function get(org: string, orbit: string, id: string): Promise<Deployment> {
    const d = await api((c) => c.deployments.get(org, orbit, id));
    current.value = d;
    put(d);
    return d;
  }

  /** Uploaded model artifacts (ONNX, GGUF), the orbit's satellites and secrets, for the create dialog. */
  async function loadOptions(org: string, orbit: string): Promise<void> {
    const orbitPath = (...s: string[]) => v1('organizations', org, 'orbits', orbit, ...s);
    const [onnx, gguf, satellites, secrets] = await Promise.all([
      api((c) =>
        listPage<Artifact>(c, orbitPath('artifacts'), {
          status: 'uploaded',
          format: 'onnx',
          limit: 100,
        }),
      ),
      api((c) =>
        listPage<Artifact>(c, orbitPath('artifacts'), {
          status: 'uploaded',
          format: 'gguf',
          limit: 100,
        }),
      ),
      api((c) => listAll<Satellite>(c, orbitPath('satellites'))),
      api((c) => listAll<Secret>(c, orbitPath('secrets'))).catch(() => [] as Secret[]),
    ]);
    options.value = {
      artifacts: [...onnx.items, ...gguf.items].sort((a, b) =>
        b.createdAt.localeCompare(a.createdAt),
      ),
      satellites,
      secrets,
    };
  }

  async function create(
    org: string,
    orbit: string,
    params: DeploymentCreateParams,
  ): Promise<Deployment> {
    const d = await api((c) => c.deployments.create(org, orbit, params));
    put(d);
    return d;
  }

  async function loadLogs(org: string, orbit: string, id: string, lines = 200): Promise<void> {
    logs.value = await api((c) => c.deployments.logs(org, orbit, id, { lines }));
  }

  async function stop(org: string, orbit: string, id: string): Promise<void> {
    put(await api((c) => c.deployments.stop(org, orbit, id)));
  }

  async function redeploy(org: string, orbit: string, id: string): Promise<void> {
    put(await api((c) => c.deployments.redeploy(org, orbit, id)));
  }

  async function remove(org: string, orbit: string, id: string, force = false): Promise<void> {
    await api((c) => c.deployments.delete(org, orbit, id, { force }));
    items.value = items.value.filter((d) => d.id !== id);
    if (current.value?.id === id) current.value = null;
  }

  function predict(
    org: string,
    orbit: string,
    id: string,
    inputs: Record<string, unknown>,
  ): Promise<PredictResponse> {
    return api((c) => c.deployments.predict(org, orbit, id, { inputs }));
  }

  /** Streams a chat completion from a GGUF deployment's OpenAI-compatible server. */
  function chat(
    org: string,
    orbit: string,
    id: string,
    messages: ChatMessage[],
    onDelta: (t: string) => void,
    signal?: AbortSignal,
  ): Promise<string> {
    return streamChat(
      `${base(org, orbit)}/${encodeURIComponent(id)}/proxy/v1/chat/completions`,
      { messages },
      onDelta,
      signal,
    );
  }

  function reset(): void {
    current.value = null;
    logs.value = null;
  }

  onSignedOut(() => {
    items.value = [];
    reset();
  });

  return {
    items,
    loading,
    current,
    logs,
    options,
    load,
    get,
    loadOptions,
    create,
    loadLogs,
    stop,
    redeploy,
    remove,
    predict,
    chat,
    reset,
  };
});
