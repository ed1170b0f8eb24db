import type { ApiKey, ApiKeyCreated, ApiKeyCreateParams } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

/** The signed-in user's API keys. The secret of a new key lives only in `lastCreated`. */
export const useApiKeysStore = defineStore('apiKeys', () => {
  const items = ref<ApiKey[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  /** The key just created, with its secret; cleared as soon as the dialog showing it closes. */
  const lastCreated = ref<ApiKeyCreated | null>(null);

  async function load(): Promise<void> {
    loading.value = true;
    try {
      items.value = await api((c) => listAll<ApiKey>(c, v1('users', 'me', 'api-keys')));
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function create(params: ApiKeyCreateParams): Promise<ApiKeyCreated> {
    const created = await api((c) => c.apiKeys.create(params));
    const { key: _secret, ...listed } = created;
    items.value = [listed, ...items.value];
    lastCreated.value = created;
    return created;
  }

  function forgetSecret(): void {
    lastCreated.value = null;
  }

  async function revoke(id: string): Promise<void> {
    await api((c) => c.apiKeys.revoke(id));
    items.value = items.value.filter((k) => k.id !== id);
  }

  onSignedOut(() => {
    items.value = [];
    loaded.value = false;
    lastCreated.value = null;
  });

  return { items, loading, loaded, lastCreated, load, create, forgetSecret, revoke };
});
