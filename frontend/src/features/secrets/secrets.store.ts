import type { Secret, SecretCreateParams } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

/** Secrets of one orbit. Values are never listed; `revealed` holds the ones the user asked for. */
export const useSecretsStore = defineStore('secrets', () => {
  const items = ref<Secret[]>([]);
  const loading = ref(false);
  const revealed = ref<Record<string, string>>({});

  async function load(org: string, orbit: string): Promise<void> {
    loading.value = true;
    revealed.value = {};
    try {
      items.value = await api((c) =>
        listAll<Secret>(c, v1('organizations', org, 'orbits', orbit, 'secrets')),
      );
    } finally {
      loading.value = false;
    }
  }

  async function create(org: string, orbit: string, params: SecretCreateParams): Promise<void> {
    const s = await api((c) => c.secrets.create(org, orbit, params));
    items.value = [...items.value, s].sort((a, b) => a.name.localeCompare(b.name));
  }

  async function reveal(org: string, orbit: string, id: string): Promise<string> {
    const v = await api((c) => c.secrets.reveal(org, orbit, id));
    revealed.value = { ...revealed.value, [id]: v.value };
    return v.value;
  }

  function hide(id: string): void {
    const { [id]: _hidden, ...rest } = revealed.value;
    revealed.value = rest;
  }

  async function remove(org: string, orbit: string, id: string): Promise<void> {
    await api((c) => c.secrets.delete(org, orbit, id));
    items.value = items.value.filter((s) => s.id !== id);
    hide(id);
  }

  onSignedOut(() => {
    items.value = [];
    revealed.value = {};
  });

  return { items, loading, revealed, load, create, reveal, hide, remove };
});
