import type { Webhook, WebhookCreateParams, WebhookCreated, WebhookDelivery } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listPage, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

export const WEBHOOK_EVENTS = [
  'artifact.uploaded',
  'track.version_added',
  'track.alias_moved',
  'deployment.status_changed',
  'model.loaded',
] as const;

/** Webhooks of one orbit; `issued` holds a signing secret right after create (shown once). */
export const useWebhooksStore = defineStore('webhooks', () => {
  const items = ref<Webhook[]>([]);
  const loading = ref(false);
  const issued = ref<WebhookCreated | null>(null);
  const deliveries = ref<Record<string, WebhookDelivery[]>>({});

  async function load(org: string, orbit: string): Promise<void> {
    loading.value = true;
    try {
      items.value = await api((c) => c.webhooks.list(org, orbit));
    } finally {
      loading.value = false;
    }
  }

  async function create(
    org: string,
    orbit: string,
    params: WebhookCreateParams,
  ): Promise<WebhookCreated> {
    const w = await api((c) => c.webhooks.create(org, orbit, params));
    const { secret: _s, ...plain } = w;
    items.value = [...items.value, plain];
    issued.value = w;
    return w;
  }

  async function setEnabled(
    org: string,
    orbit: string,
    id: string,
    enabled: boolean,
  ): Promise<void> {
    const w = await api((c) => c.webhooks.update(org, orbit, id, { enabled }));
    items.value = items.value.map((x) => (x.id === id ? w : x));
  }

  async function remove(org: string, orbit: string, id: string): Promise<void> {
    await api((c) => c.webhooks.delete(org, orbit, id));
    items.value = items.value.filter((w) => w.id !== id);
  }

  async function loadDeliveries(org: string, orbit: string, id: string): Promise<void> {
    const page = await api((c) =>
      listPage<WebhookDelivery>(
        c,
        `${v1('organizations', org, 'orbits', orbit, 'webhooks', id)}/deliveries`,
        { limit: 50 },
      ),
    );
    deliveries.value = { ...deliveries.value, [id]: page.items };
  }

  async function sendTest(org: string, orbit: string, id: string): Promise<WebhookDelivery> {
    const d = await api((c) => c.webhooks.sendTest(org, orbit, id));
    deliveries.value = { ...deliveries.value, [id]: [d, ...(deliveries.value[id] ?? [])] };
    return d;
  }

  onSignedOut(() => {
    items.value = [];
    issued.value = null;
    deliveries.value = {};
  });

  return {
    items,
    loading,
    issued,
    deliveries,
    load,
    create,
    setEnabled,
    remove,
    loadDeliveries,
    sendTest,
  };
});
